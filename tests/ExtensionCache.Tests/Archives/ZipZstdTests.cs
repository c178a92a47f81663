using System.IO.Hashing;
using ExtensionCache.Extension.Archives;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Extension.Sources;
using ExtensionCache.Tests.Fixtures;

namespace ExtensionCache.Tests.Archives;

/// <summary>
/// Zip entries compressed with zstd (method 93): small ones on the writer pool, large ones frame by frame (frames
/// with a stated size decoded by the workers in parallel, the others on the reader), each checked for size and
/// CRC-32 exactly as deflate; and every way such an entry can lie, refused by name.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ZipZstdTests : IDisposable
{
    private const int MiB = 1024 * 1024;
    private readonly CacheHarness _harness = new(new CacheLimits(1L << 30, 10_000, 4, 256 * 1024, Workers: 3));

    public void Dispose() => _harness.Dispose();

    public static TheoryData<string, int, bool, bool, bool> Layouts => new()
    {
        // name, size, frame size, seek table, checksum, content size in the frame header
        { "small file, one frame (a pool worker)", 5_000, false, false, true },
        { "large file, one frame with its size (one piece)", 3 * MiB, false, false, true },
        { "large file, one streamed frame without a size (decoded on the reader)", 3 * MiB, false, false, false },
        { "large file, 1 MiB frames with a seek table (in parallel)", 9 * MiB + 12345, true, false, true },
        { "large file, 1 MiB frames with checksums, no seek table", 5 * MiB, false, true, true },
        { "large file, 1 MiB frames without sizes (on the reader)", 4 * MiB + 7, true, false, false },
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public async Task A_zstd_entry_unpacks_to_its_exact_content(string layout, int size, bool seekTable, bool checksum, bool contentSize)
    {
        var frameSize = layout.Contains("1 MiB frames", StringComparison.Ordinal) ? MiB : int.MaxValue;
        var content = ZstdZip.Content(size, size);
        var zip = ZstdZip.Zip(
        [
            ZstdZip.File("bin/data", content, frameSize, seekTable, checksum, contentSize),
            ZstdZip.File("after.txt", "the entry after"u8.ToArray()),
        ]);

        var published = (await _harness.PrepareAsync(_harness.FileBundle("zstd", zip))).PublishedPath;

        Assert.True(content.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Join(published, "bin/data"))), layout);
        Assert.Equal("the entry after", File.ReadAllText(Path.Join(published, "after.txt")));
    }

    [Fact]
    public async Task Frames_too_large_for_a_worker_and_frames_without_a_size_mix_with_parallel_ones_in_one_entry()
    {
        var content = ZstdZip.Content((8 * MiB) + 5000, 7);
        var frames = new[]
        {
            ZstdZip.Frame(content.AsSpan(0, MiB)),
            ZstdZip.Frame(content.AsSpan(MiB, 5 * MiB)), // over MaxPieceBytes: decoded on the reader
            ZstdZip.Frame(content.AsSpan(6 * MiB, MiB), contentSize: false), // no stated size: on the reader
            ZstdZip.Frame(content.AsSpan(7 * MiB), checksum: true),
        };
        Assert.True(5 * MiB > ZipZstdDecoder.MaxPieceBytes);
        var stored = frames.SelectMany(f => f).ToArray();
        var zip = ZstdZip.Zip([new ZstdZipEntry("mixed.bin", content, stored), ZstdZip.File("z.txt", "z"u8.ToArray())]);

        var published = (await _harness.PrepareAsync(_harness.FileBundle("mixed", zip))).PublishedPath;

        Assert.True(content.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Join(published, "mixed.bin"))));
    }

    [Fact]
    public async Task Modes_mtimes_symlinks_and_empty_files_are_kept_as_for_deflate()
    {
        var zip = ZstdZip.Zip(
        [
            new ZstdZipEntry("bin/run", "#!/bin/sh\necho hi\n"u8.ToArray(), ZstdZip.Frame("#!/bin/sh\necho hi\n"u8), Mode: 0x81ED),
            new ZstdZipEntry("bin/link", "run"u8.ToArray(), ZstdZip.Frame("run"u8), Mode: 0xA1FF),
            new ZstdZipEntry("empty", [], ZstdZip.Frame([])),
        ]);

        var published = (await _harness.PrepareAsync(_harness.FileBundle("modes", zip))).PublishedPath;

        Assert.Equal("#!/bin/sh\necho hi\n", File.ReadAllText(Path.Join(published, "bin/run")));
        Assert.True((File.GetUnixFileMode(Path.Join(published, "bin/run")) & UnixFileMode.UserExecute) != 0);
        Assert.Equal("run", new FileInfo(Path.Join(published, "bin/link")).LinkTarget);
        Assert.Equal(0, new FileInfo(Path.Join(published, "empty")).Length);
        Assert.Equal(new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc), File.GetLastWriteTimeUtc(Path.Join(published, "bin/run")));
    }

    [Fact]
    public async Task The_same_entry_decodes_alike_with_one_worker_and_with_four()
    {
        var content = ZstdZip.Content(6 * MiB, 3);
        var zip = ZstdZip.Zip([ZstdZip.File("big.bin", content, MiB)]);
        foreach (var workers in new[] { 1, 4 })
        {
            using var harness = new CacheHarness(_harness.Limits with { Workers = workers });
            var published = (await harness.PrepareAsync(harness.FileBundle("w", zip))).PublishedPath;
            Assert.True(content.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Join(published, "big.bin"))), $"{workers} workers");
        }
    }

    [Fact]
    public async Task The_archive_sha256_is_the_same_whatever_the_decoding()
    {
        var zip = ZstdZip.Zip([ZstdZip.File("big.bin", ZstdZip.Content(5 * MiB, 9), MiB)]);
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(zip));

        var result = await _harness.PrepareAsync(_harness.FileBundle("pinned", zip, BundleFormat.Zip, sha));

        Assert.Equal(sha, result.Sha256);
    }

    public static TheoryData<string, string> Lies => new()
    {
        { "declared size smaller", "unpacks to more than its declared" },
        { "declared size larger", "but the archive declares" },
        { "wrong crc", "CRC-32 mismatch" },
        { "seek table with a wrong frame size", "its zstd seek table says frame 2 is" },
        { "seek table with overlapping frames", "its zstd seek table says frame 1 is" },
        { "seek table listing more frames", "lists 5 frames, but 4 frames precede it" },
        { "seek table of a size that fits no count", "corrupt seek table" },
        { "frame header stating a wrong size", "is corrupt" },
        { "a flipped byte inside a frame", "is corrupt" },
        { "garbage after the frames", "is not zstd" },
        { "data cut inside a frame", "ends inside frame" },
    };

    [Theory]
    [MemberData(nameof(Lies))]
    public async Task A_zstd_entry_that_lies_is_refused_naming_it_and_nothing_is_published(string lie, string expected)
    {
        var content = ZstdZip.Content((3 * MiB) + 100, 11);
        var stored = ZstdZip.Frames(content, MiB, seekTable: true);
        var frames = SplitFrames(stored);
        Assert.Equal(4, frames.Count);
        var declared = new Dictionary<string, uint>();
        var crcContent = content;
        switch (lie)
        {
            case "declared size smaller":
                declared["victim.bin"] = (uint)content.Length - 10;
                break;
            case "declared size larger":
                declared["victim.bin"] = (uint)content.Length + 10;
                break;
            case "wrong crc":
                crcContent = [.. content.Take(content.Length - 1), (byte)(content[^1] ^ 1)];
                break;
            case "seek table with a wrong frame size":
                PatchTable(stored, frames.Count, 1, compressedDelta: 1, 0);
                break;
            case "seek table with overlapping frames":
                // Frame 1 claims 100 bytes of frame 2; the sizes still add up to the entry.
                PatchTable(stored, frames.Count, 0, compressedDelta: 100, 0);
                PatchTable(stored, frames.Count, 1, compressedDelta: -100, 0);
                break;
            case "seek table listing more frames":
                stored = [.. stored[..^9], .. new byte[8], .. stored[^9..]];
                SetUInt32(stored, stored.Length - 9, (uint)frames.Count + 1);
                SetUInt32(stored, frames.Sum(f => f.Length) + 4, (uint)(stored.Length - frames.Sum(f => f.Length) - 8));
                break;
            case "seek table of a size that fits no count":
                stored = [.. stored[..^9], 0, 0, 0, .. stored[^9..]];
                SetUInt32(stored, frames.Sum(f => f.Length) + 4, (uint)(stored.Length - frames.Sum(f => f.Length) - 8));
                break;
            case "frame header stating a wrong size":
                // A 1 MiB frame states its size in 4 bytes, after the descriptor and, unless single-segment, the window byte.
                var descriptor = stored[frames[0].Offset + 4];
                Assert.Equal(2, descriptor >> 6);
                SetUInt32(stored, frames[0].Offset + 5 + ((descriptor & 0x20) != 0 ? 0 : 1), MiB - 1);
                break;
            case "a flipped byte inside a frame":
                stored[frames[1].Offset + (frames[1].Length / 2)] ^= 0x55;
                break;
            case "garbage after the frames":
                stored = [.. stored, 1, 2, 3, 4, 5];
                break;
            case "data cut inside a frame":
                stored = stored[..(frames[2].Offset + 100)];
                break;
        }

        var zip = ZstdZip.Zip([ZstdZip.File("first.txt", "first"u8.ToArray()), new ZstdZipEntry("victim.bin", crcContent, stored)], declared);

        var error = await _harness.FailsAsync(_harness.FileBundle("lie", zip));

        Assert.Equal(FailureKind.BundleIntegrity, error.Kind);
        Assert.Contains("victim.bin", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        _harness.AssertNothingPublished("lie");
    }

    [Fact]
    public async Task A_seek_table_of_a_later_format_version_is_ignored_and_a_skippable_frame_anywhere_is_passed_over()
    {
        var content = ZstdZip.Content(3 * MiB, 5);
        var stored = ZstdZip.Frames(content, MiB, seekTable: true);
        stored[^5] = 0x04; // a reserved bit of the seek table descriptor
        byte[] skippable = [0x50, 0x2A, 0x4D, 0x18, 4, 0, 0, 0, 1, 2, 3, 4];
        var small = ZstdZip.Content(3000, 6);
        var zip = ZstdZip.Zip(
        [
            new ZstdZipEntry("table.bin", content, stored),
            new ZstdZipEntry("skip.bin", small, [.. skippable, .. ZstdZip.Frame(small)]),
        ]);

        var published = (await _harness.PrepareAsync(_harness.FileBundle("ignored", zip))).PublishedPath;

        Assert.True(content.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Join(published, "table.bin"))));
        Assert.True(small.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Join(published, "skip.bin"))));
    }

    [Theory]
    [InlineData(3000)]
    [InlineData(3 * MiB)]
    public async Task A_lying_seek_table_is_refused_in_a_small_entry_as_in_a_large_one(int size)
    {
        var content = ZstdZip.Content(size, 8);
        var frameSize = size / 3;
        var stored = ZstdZip.Frames(content, frameSize, seekTable: true);
        PatchTable(stored, 3, 2, compressedDelta: 0, decodedDelta: 1);
        Assert.Equal(size <= EntryWriterPool.MaxBufferedEntryBytes, EntryWriterPool.Fits(stored.Length));

        var error = await _harness.FailsAsync(_harness.FileBundle("table", ZstdZip.Zip([new ZstdZipEntry("t.bin", content, stored)])));

        Assert.Contains("entry 't.bin' is corrupt: its zstd seek table says frame 3 is", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(20_000)]
    [InlineData(3 * MiB)]
    public async Task A_zstd_window_over_32_MiB_is_refused_naming_the_entry(int size)
    {
        var content = ZstdZip.Content(size, 4);
        var zip = ZstdZip.Zip([new ZstdZipEntry("wide.bin", content, ZstdZip.Frame(content, windowLog: ZstdFrame.MaxWindowLog + 2))]);

        var error = await _harness.FailsAsync(_harness.FileBundle("window", zip));

        Assert.Equal(FailureKind.BundleUnsupported, error.Kind);
        Assert.Contains("entry 'wide.bin' needs a zstd window of 128 MiB, more than the 32 MiB supported", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_zstd_bundle_over_the_byte_cap_is_refused()
    {
        using var harness = new CacheHarness(new CacheLimits(8 * MiB, 100, 4, 256 * 1024, Workers: 2));
        var zip = ZstdZip.Zip([ZstdZip.File("a.bin", ZstdZip.Content(5 * MiB, 1), MiB), ZstdZip.File("b.bin", ZstdZip.Content(5 * MiB, 2), MiB)]);

        var error = await harness.FailsAsync(harness.FileBundle("cap", zip));

        Assert.Equal(FailureKind.BundleTooLarge, error.Kind);
        harness.AssertNothingPublished("cap");
    }

    [Fact]
    public async Task A_delta_update_of_a_zstd_zip_fetches_only_the_changed_entry()
    {
        var files = Enumerable.Range(0, 6).Select(i => ZstdZip.File($"pkg/f{i}.bin", ZstdZip.Content((2 * MiB) + i, i), MiB)).ToList();
        using var server = new LoopbackHttpServer(ZstdZip.Zip(files), "\"v1\"");
        var spec = CacheHarness.Spec("delta", server.ObjectUri, BundleFormat.Zip);
        await _harness.PrepareAsync(spec);

        var changed = ZstdZip.Content((2 * MiB) + 3, 99);
        files[3] = ZstdZip.File("pkg/f3.bin", changed, MiB);
        var archive = ZstdZip.Zip(files);
        server.Content = archive;
        server.ETag = "\"v2\"";
        var sentBefore = server.BytesSent;
        var second = await _harness.PrepareAsync(spec);

        Assert.Equal("delta", second.ReuseReason);
        Assert.Equal(5, second.DeltaFilesReused);
        Assert.True(server.BytesSent - sentBefore < archive.Length / 3, $"sent {server.BytesSent - sentBefore} of {archive.Length}");
        Assert.True(changed.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Join(second.PublishedPath, "pkg/f3.bin"))));
    }

    [Fact]
    public void The_pieces_in_flight_stay_within_the_documented_budget()
    {
        // Two pieces per worker, and at most two 4 MiB frames per worker plus one: bounded whatever the frames.
        Assert.Equal(5L * ZipZstdDecoder.MaxPieceBytes, ZipZstdDecoder.PieceBudget(2));
        Assert.Equal(4, ZipZstdDecoder.PiecesInFlight(2));
        Assert.True(ZipZstdDecoder.MaxFrameBytes(MiB) < 2 * MiB);
        Assert.True(ZipZstdDecoder.MaxFrameBytes(ZipZstdDecoder.MaxPieceBytes) <= ZipZstdDecoder.MaxFrameBufferBytes);
    }

    private static List<(int Offset, int Length)> SplitFrames(byte[] stored)
    {
        var frames = new List<(int, int)>();
        var offset = 0;
        while (offset < stored.Length)
        {
            var magic = BitConverter.ToUInt32(stored, offset);
            if (magic == ZstdSeekTable.SkippableMagic)
            {
                break;
            }

            var length = (int)Frame(stored.AsSpan(offset));
            frames.Add((offset, length));
            offset += length;
        }

        return frames;
    }

    private static long Frame(ReadOnlySpan<byte> data)
    {
        var header = 5 + ZstdFrame.HeaderBytesAfterDescriptor(data[4]);
        var at = header;
        while (true)
        {
            var (_, payload, last) = ZstdFrame.Block(data[at..]);
            at += 3 + payload;
            if (last)
            {
                return at + (ZstdFrame.HasChecksum(data[4]) ? 4 : 0);
            }
        }
    }

    private static void PatchTable(byte[] stored, int frameCount, int index, int compressedDelta, int decodedDelta)
    {
        var entries = stored.Length - 9 - (frameCount * 8);
        var at = entries + (index * 8);
        SetUInt32(stored, at, (uint)(BitConverter.ToUInt32(stored, at) + compressedDelta));
        SetUInt32(stored, at + 4, (uint)(BitConverter.ToUInt32(stored, at + 4) + decodedDelta));
    }

    private static void SetUInt32(byte[] bytes, int at, uint value) => System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), value);
}
