using System.IO.Compression;
using System.IO.Hashing;
using System.Text;
using ExtensionCache.Extension.Archives;
using ExtensionCache.Extension.Failures;

namespace ExtensionCache.Tests.Archives;

/// <summary>The workers that write small files: every queued file lands verified, and a failure or a cancellation stops them all.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class EntryWriterPoolTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Every_queued_file_is_written_with_its_content_and_mode_stored_or_deflated()
    {
        using var target = new ExtractionTarget(_temp.Path, new ExtractionCaps(1 << 30, 10_000));
        var pool = new EntryWriterPool(target, workers: 3, CancellationToken.None);
        await using (pool)
        {
            for (var i = 0; i < 200; i++)
            {
                var content = Encoding.UTF8.GetBytes($"file {i} " + new string('x', i * 37));
                await pool.WriteAsync(Queue(pool, target, $"d{i % 7}/f{i}.txt", content, deflate: i % 2 == 0, mode: (UnixFileMode)Convert.ToInt32("640", 8)));
            }

            await pool.CompleteAsync();
        }

        Assert.Equal(200, target.Files);
        for (var i = 0; i < 200; i++)
        {
            var path = Path.Join(_temp.Path, $"d{i % 7}", $"f{i}.txt");
            Assert.Equal($"file {i} " + new string('x', i * 37), File.ReadAllText(path));
            Assert.Equal((UnixFileMode)Convert.ToInt32("640", 8), File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public async Task A_crc_mismatch_stops_the_pool_and_is_rethrown_naming_the_entry()
    {
        using var target = new ExtractionTarget(_temp.Path, new ExtractionCaps(1 << 30, 10_000));
        var pool = new EntryWriterPool(target, workers: 2, CancellationToken.None);
        BundleException error;
        await using (pool)
        {
            var good = Encoding.UTF8.GetBytes("good");
            await pool.WriteAsync(Queue(pool, target, "a.txt", good, deflate: false));
            var bad = Queue(pool, target, "bad.txt", Encoding.UTF8.GetBytes("tampered"), deflate: true) with { Crc32 = 0xDEADBEEF };
            await pool.WriteAsync(bad);
            error = await Assert.ThrowsAsync<BundleException>(async () =>
            {
                // Whichever comes first: a later WriteAsync or CompleteAsync sees the worker's failure.
                for (var i = 0; i < 500; i++)
                {
                    await pool.WriteAsync(Queue(pool, target, $"more/{i}.txt", good, deflate: false));
                }

                await pool.CompleteAsync();
            });
        }

        Assert.Equal(FailureKind.BundleIntegrity, error.Kind);
        Assert.Contains("'bad.txt'", error.Message, StringComparison.Ordinal);
        Assert.Contains("CRC-32 mismatch", error.Message, StringComparison.Ordinal);

        // After DisposeAsync no worker is left to write: the tree no longer changes.
        var before = Directory.GetFileSystemEntries(_temp.Path, "*", SearchOption.AllDirectories).Length;
        await Task.Delay(100);
        Assert.Equal(before, Directory.GetFileSystemEntries(_temp.Path, "*", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public async Task A_file_shorter_than_declared_is_refused()
    {
        using var target = new ExtractionTarget(_temp.Path, new ExtractionCaps(1 << 30, 10_000));
        var pool = new EntryWriterPool(target, workers: 1, CancellationToken.None);
        await using (pool)
        {
            var content = Encoding.UTF8.GetBytes("twelve bytes");
            await pool.WriteAsync(Queue(pool, target, "short.txt", content, deflate: false) with { DeclaredSize = 20 });
            var error = await Assert.ThrowsAsync<BundleException>(pool.CompleteAsync);
            Assert.Contains("unpacked to 12 bytes, but the archive declares 20", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Cancellation_never_looks_like_success()
    {
        using var target = new ExtractionTarget(_temp.Path, new ExtractionCaps(1 << 30, 10_000));
        using var cts = new CancellationTokenSource();
        var pool = new EntryWriterPool(target, workers: 2, cts.Token);
        await using (pool)
        {
            await pool.WriteAsync(Queue(pool, target, "a.txt", Encoding.UTF8.GetBytes("a"), deflate: false));
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(pool.CompleteAsync);
        }
    }

    [Fact]
    public async Task The_byte_cap_holds_across_workers()
    {
        using var target = new ExtractionTarget(_temp.Path, new ExtractionCaps(maxBytes: 10_000, maxEntries: 10_000));
        var pool = new EntryWriterPool(target, workers: 4, CancellationToken.None);
        await using (pool)
        {
            var error = await Assert.ThrowsAsync<BundleException>(async () =>
            {
                for (var i = 0; i < 100; i++)
                {
                    await pool.WriteAsync(Queue(pool, target, $"f{i}", new byte[1000], deflate: true));
                }

                await pool.CompleteAsync();
            });
            Assert.Equal(FailureKind.BundleTooLarge, error.Kind);
        }

        // Ten files fit exactly; the cap counts written bytes, so no more than 10,000 are on disk.
        var onDisk = Directory.GetFiles(_temp.Path).Sum(f => new FileInfo(f).Length);
        Assert.InRange(onDisk, 0, 10_000);
    }

    private static EntryWrite Queue(EntryWriterPool pool, ExtractionTarget target, string name, byte[] content, bool deflate, UnixFileMode? mode = null)
    {
        target.ClaimFile(name, name);
        var stored = deflate ? Deflate(content) : content;
        var data = pool.Rent(stored.Length);
        stored.CopyTo(data, 0);
        return new EntryWrite(name, name, data, stored.Length, deflate ? EntryCodec.Deflate : EntryCodec.Stored, content.Length, Crc32.HashToUInt32(content), mode, null);
    }

    private static byte[] Deflate(byte[] content)
    {
        using var output = new MemoryStream();
        using (var deflate = new DeflateStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            deflate.Write(content);
        }

        return output.ToArray();
    }
}
