using System.Security.Cryptography;
using ExtensionCache.Extension.Archives;
using ExtensionCache.Extension.Sources;
using ExtensionCache.Tests.Fixtures;

namespace ExtensionCache.Tests.Sources;

public sealed class ParallelRangeStreamTests
{
    private static readonly RetryPolicy FastRetry = new(TimeProvider.System, maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5);

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
    public async Task The_probe_is_the_only_request_for_the_tail_and_an_automatic_plan_makes_a_small_first_wave_then_larger_parts()
    {
        // 128 MiB at 4 in flight: the probe (the last 64 KiB), a first wave of four 4 MiB parts, then 8 MiB parts
        // (four per request slot) up to the tail: 19 GETs where 4 MiB parts took 33.
        const int MiB = 1024 * 1024;
        var content = RandomBytes(128 * MiB);
        using var server = new LoopbackHttpServer(content);
        using var http = new HttpClient();
        var source = new HttpBundleSource(http, server.ObjectUri, "test");
        var info = await source.ProbeAsync(CancellationToken.None);

        var (bytes, sha) = await ReadAllAsync(source, info, PartPlan.Automatic, 4);

        Assert.Equal(content, bytes);
        Assert.Equal(SHA256.HashData(content), sha);
        Assert.Equal(19, server.Requests);
        var tailStart = content.Length - ZipCentralDirectory.TailBytes;
        var ranges = server.RangeHeaders.ToList();
        Assert.Equal($"bytes=-{ZipCentralDirectory.TailBytes}", ranges[0]);
        var parts = Enumerable.Range(0, 4).Select(i => $"bytes={i * 4L * MiB}-{((i + 1) * 4L * MiB) - 1}").ToList();
        for (long start = 16 * MiB; start < 120 * MiB; start += 8 * MiB)
        {
            parts.Add($"bytes={start}-{start + (8 * MiB) - 1}");
        }

        parts.Add($"bytes={120 * MiB}-{tailStart - 1}");
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
    public async Task A_part_whose_body_is_cut_short_is_requested_again_from_the_first_byte_not_received()
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

        // The server sent the first half of the last part, then reset the connection: the request made again asks for
        // the part from the first byte that arrived whole (a reset may discard what was still in the socket's buffer,
        // so that can be the part's start; the proxy tests see the exact offset with a body cut short).
        var partEnd = content.Length - info.Tail.Length - 1;
        var requests = server.RangeHeaders.Where(r => r.EndsWith($"-{partEnd}", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, requests.Count);
        var resumedAt = long.Parse(requests[1]["bytes=".Length..requests[1].IndexOf('-', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(resumedAt, 200_000, 200_000 + ((partEnd + 1 - 200_000) / 2));
    }

    [Fact]
    public async Task A_parts_bytes_are_read_as_they_arrive_not_once_the_whole_part_is_there()
    {
        // One 1 MiB part whose answer stops after 300,000 bytes until released: those bytes can be read meanwhile, so
        // unpacking starts with the first bytes, and an INIT ended mid-part has written what it received.
        var content = RandomBytes(1_048_576 + ZipCentralDirectory.TailBytes);
        using var server = new LoopbackHttpServer(content) { PauseBodyAfterBytes = 300_000 };
        using var http = new HttpClient();
        var source = new HttpBundleSource(http, server.ObjectUri, "test");
        var info = await source.ProbeAsync(CancellationToken.None);
        await using var stream = new ParallelRangeStream(source, info, 1_048_576, 2, FastRetry, CancellationToken.None, TimeSpan.FromMinutes(5));

        var first = new byte[300_000];
        await stream.ReadExactlyAsync(first).AsTask().WaitAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(content.AsSpan(0, 300_000).ToArray(), first);

        // The answer is paused (the rest is sent only after Release, below): the bytes read came from a part in flight.
        await server.Holding.WaitAsync(TimeSpan.FromMinutes(2));

        server.Release();
        var rest = new MemoryStream();
        await stream.CopyToAsync(rest);
        Assert.Equal(content.AsSpan(300_000).ToArray(), rest.ToArray());
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

        var (bytes, _) = await ReadAllAsync(source, info, 100_000, 2, TimeSpan.FromMilliseconds(500));

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

        // Each part takes ~750 ms in all, longer than the 400 ms stall timeout, but never pauses that long.
        var (bytes, _) = await ReadAllAsync(source, info, 100_000, 2, TimeSpan.FromMilliseconds(400));

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
        await using var stream = new ParallelRangeStream(source, info, partSize, concurrency, FastRetry, CancellationToken.None, stallTimeout);
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
