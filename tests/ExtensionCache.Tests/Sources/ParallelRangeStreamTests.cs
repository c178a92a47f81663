using System.Security.Cryptography;
using ExtensionCache.Extension.Archives;
using ExtensionCache.Extension.Sources;
using ExtensionCache.Tests.Fixtures;

namespace ExtensionCache.Tests.Sources;

public sealed class ParallelRangeStreamTests
{
    private static readonly RetryPolicy FastRetry = new(TimeProvider.System, maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5);

    // Shorter than the extension's 5 s so the stalled part costs the test less, and still far longer than any pause
    // of a loopback part that is moving (a busy machine delays one by tens of milliseconds, rarely by a second).
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(2);

    [Theory]
    [InlineData(1_000, 1)]
    [InlineData(65_536, 3)]
    [InlineData(300_000, 8)]
    [InlineData(4_000_000, 4)]
    [InlineData(777, 16)]
    public async Task Yields_the_object_in_order_with_its_sha256(int partSize, int concurrency)
    {
        var content = RandomBytes(1_048_576 + 123);
        using var server = new LoopbackHttpServer(content);
        using var http = new HttpClient();
        var source = new HttpBundleSource(http, server.ObjectUri, "test");
        var info = await source.ProbeAsync(CancellationToken.None);

        var (bytes, sha) = await ReadAllAsync(source, info, partSize, concurrency);

        Assert.True(info.SupportsRanges);
        Assert.Equal(content.Length, info.Length);
        Assert.Equal(content, bytes);
        Assert.Equal(SHA256.HashData(content), sha);
        // The probe brought the tail (a zip's central directory): the parts stop where it starts.
        Assert.Equal(ZipCentralDirectory.TailBytes, info.Tail.Length);
        var parts = (content.Length - ZipCentralDirectory.TailBytes + partSize - 1) / partSize;
        Assert.Equal(parts + 1, server.Requests);
    }

    [Fact]
    public async Task The_probe_is_the_only_request_for_the_tail_and_an_automatic_plan_makes_a_small_first_part_then_larger_ones()
    {
        // 64 MiB at 4 in flight: the probe (the last 64 KiB), a 4 MiB first part, then 8 MiB parts (two per request
        // slot) up to the tail: 10 GETs where 4 MiB parts took 17.
        const int MiB = 1024 * 1024;
        var content = RandomBytes(64 * MiB);
        using var server = new LoopbackHttpServer(content);
        using var http = new HttpClient();
        var source = new HttpBundleSource(http, server.ObjectUri, "test");
        var info = await source.ProbeAsync(CancellationToken.None);

        var (bytes, sha) = await ReadAllAsync(source, info, PartPlan.Automatic, 4);

        Assert.Equal(content, bytes);
        Assert.Equal(SHA256.HashData(content), sha);
        Assert.Equal(10, server.Requests);
        var tailStart = content.Length - ZipCentralDirectory.TailBytes;
        var ranges = server.RangeHeaders.ToList();
        Assert.Equal($"bytes=-{ZipCentralDirectory.TailBytes}", ranges[0]);
        var parts = new List<string> { $"bytes=0-{(4 * MiB) - 1}" };
        for (long start = 4 * MiB; start < 60 * MiB; start += 8 * MiB)
        {
            parts.Add($"bytes={start}-{start + (8 * MiB) - 1}");
        }

        parts.Add($"bytes={60 * MiB}-{tailStart - 1}");
        Assert.Equal(parts.Order(StringComparer.Ordinal), ranges.Skip(1).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(6)]
    public async Task Requests_in_flight_never_exceed_the_concurrency(int concurrency)
    {
        var content = RandomBytes(40 * 10_000);
        using var server = new LoopbackHttpServer(content) { Latency = TimeSpan.FromMilliseconds(30) };
        using var http = new HttpClient();
        var source = new HttpBundleSource(http, server.ObjectUri, "test");
        var info = await source.ProbeAsync(CancellationToken.None);

        var (bytes, _) = await ReadAllAsync(source, info, 10_000, concurrency);

        Assert.Equal(content, bytes);
        Assert.InRange(server.MaxConcurrentRanges, Math.Min(2, concurrency), concurrency);
    }

    [Fact]
    public async Task A_part_that_fails_once_is_retried()
    {
        var content = RandomBytes(500_000);
        using var server = new LoopbackHttpServer(content);
        server.FailOnceAtOffsets.Add(100_000);
        server.FailOnceAtOffsets.Add(400_000);
        using var http = new HttpClient();
        var source = new HttpBundleSource(http, server.ObjectUri, "test");
        var info = await source.ProbeAsync(CancellationToken.None);

        var (bytes, sha) = await ReadAllAsync(source, info, 100_000, 3);

        Assert.Equal(content, bytes);
        Assert.Equal(SHA256.HashData(content), sha);
        Assert.Equal(1 + 5 + 2, server.Requests);
    }

    [Fact]
    public async Task A_part_whose_body_is_cut_short_is_retried()
    {
        var content = RandomBytes(300_000);
        using var server = new LoopbackHttpServer(content);
        server.TruncateOnceAtOffsets.Add(200_000);
        using var http = new HttpClient();
        var source = new HttpBundleSource(http, server.ObjectUri, "test");
        var info = await source.ProbeAsync(CancellationToken.None);

        var (bytes, _) = await ReadAllAsync(source, info, 100_000, 2);

        Assert.Equal(content, bytes);
        Assert.Equal(1 + 3 + 1, server.Requests);
    }

    [Fact]
    public async Task A_stalled_part_is_abandoned_and_requested_again()
    {
        var content = RandomBytes(300_000);
        using var server = new LoopbackHttpServer(content);
        server.StallOnceAtOffsets.Add(100_000);
        using var http = new HttpClient();
        var source = new HttpBundleSource(http, server.ObjectUri, "test");
        var info = await source.ProbeAsync(CancellationToken.None);

        var (bytes, _) = await ReadAllAsync(source, info, 100_000, 2, StallTimeout);

        Assert.Equal(content, bytes);
        Assert.Equal(1 + 3 + 1, server.Requests);
    }

    [Fact]
    public async Task A_slow_part_that_keeps_moving_is_not_abandoned()
    {
        var content = RandomBytes(200_000);
        using var server = new LoopbackHttpServer(content);
        using var http = new HttpClient();
        var source = new HttpBundleSource(http, server.ObjectUri, "test");
        var info = await source.ProbeAsync(CancellationToken.None);
        server.TrickleDelay = TimeSpan.FromMilliseconds(150);
        server.TricklePieces = 20;

        // Each part takes ~3 s in all, longer than the stall timeout, but never pauses longer than 150 ms.
        var (bytes, _) = await ReadAllAsync(source, info, 100_000, 2, StallTimeout);

        Assert.Equal(content, bytes);
        Assert.Equal(1 + 2, server.Requests);
    }

    [Fact]
    public async Task A_server_without_ranges_is_read_with_one_sequential_get()
    {
        var content = RandomBytes(400_000);
        using var server = new LoopbackHttpServer(content) { SupportsRanges = false };
        using var http = new HttpClient();
        var source = new HttpBundleSource(http, server.ObjectUri, "test");
        var info = await source.ProbeAsync(CancellationToken.None);

        var (bytes, sha) = await ReadAllAsync(source, info, 10_000, 4);

        Assert.False(info.SupportsRanges);
        Assert.Equal(content, bytes);
        Assert.Equal(SHA256.HashData(content), sha);
        Assert.Equal(2, server.Requests);
    }

    [Fact]
    public async Task File_sources_read_in_parallel_parts()
    {
        using var temp = new TempDirectory();
        var content = RandomBytes(2_000_001);
        var path = temp.Combine("object.bin");
        await File.WriteAllBytesAsync(path, content);
        var source = new FileBundleSource(path);
        var info = await source.ProbeAsync(CancellationToken.None);

        var (bytes, sha) = await ReadAllAsync(source, info, 65_536, 4);

        Assert.Equal(content, bytes);
        Assert.Equal(SHA256.HashData(content), sha);
    }

    private static async Task<(byte[] Bytes, byte[] Sha)> ReadAllAsync(IBundleSource source, SourceInfo info, int partSize, int concurrency, TimeSpan? stallTimeout = null)
    {
        await using var stream = new ParallelRangeStream(source, info, partSize, concurrency, FastRetry, TimeProvider.System, CancellationToken.None, stallTimeout);
        using var copy = new MemoryStream();
        var buffer = new byte[12_345];
        int n;
        while ((n = await stream.ReadAsync(buffer)) > 0)
        {
            copy.Write(buffer, 0, n);
        }

        var sha = await stream.DrainAndHashAsync(CancellationToken.None);
        return (copy.ToArray(), sha);
    }

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }
}
