using ExtensionCache.Extension.Archives;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Tests.Fixtures;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace ExtensionCache.Tests.Archives;

/// <summary>Every zstd frame is walked: the checksum rule holds for each data frame, skippable frames are passed over, and the window limit is named.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ZstdFrameInspectorTests : IDisposable
{
    private readonly CacheHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public async Task Several_frames_each_with_a_checksum_unpack()
    {
        var tar = Tar();
        var archive = Concat(Frame(tar[..700], checksum: true), Skippable(16), Frame(tar[700..], checksum: true));

        var spec = _harness.FileBundle("frames", archive, BundleFormat.TarZst);
        _harness.Cache.PrepareRoot([spec]);
        var published = (await _harness.Cache.PrepareAsync(spec, CancellationToken.None)).PublishedPath;

        Assert.Equal("x = 1", File.ReadAllText(Path.Join(published, "lib.py")));
    }

    [Fact]
    public async Task A_later_frame_without_a_checksum_is_refused_unpinned()
    {
        var tar = Tar();
        var archive = Concat(Frame(tar[..700], checksum: true), Frame(tar[700..], checksum: false));

        var error = await _harness.FailsAsync(_harness.FileBundle("second", archive, BundleFormat.TarZst));

        Assert.Equal(FailureKind.BundleIntegrity, error.Kind);
        Assert.Contains("without zstd's content checksum (frame 2)", error.Message, StringComparison.Ordinal);
        _harness.AssertNothingPublished("second");
    }

    [Fact]
    public async Task A_skippable_frame_first_does_not_hide_a_frame_without_checksum()
    {
        var archive = Concat(Skippable(12), Frame(Tar(), checksum: false));

        var error = await _harness.FailsAsync(_harness.FileBundle("skip", archive, BundleFormat.TarZst));

        Assert.Contains("without zstd's content checksum (frame 1)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_window_above_the_limit_is_refused_with_its_cause()
    {
        using var buffer = new MemoryStream();
        using (var zstd = new CompressionStream(buffer, level: 3, leaveOpen: true))
        {
            zstd.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
            zstd.SetParameter(ZSTD_cParameter.ZSTD_c_windowLog, ZstdFrameInspector.MaxWindowLog + 1);
            zstd.Write(Tar());
        }

        var error = await _harness.FailsAsync(_harness.FileBundle("window", buffer.ToArray(), BundleFormat.TarZst));

        Assert.Equal(FailureKind.BundleUnsupported, error.Kind);
        Assert.Contains("needs a zstd window of 64 MiB, more than the 32 MiB supported", error.Message, StringComparison.Ordinal);
        Assert.Contains("--long=25", error.Message, StringComparison.Ordinal);
    }

    private static byte[] Tar()
    {
        using var buffer = new MemoryStream();
        ArchiveBuilder.WriteTar(buffer, [ArchiveEntry.File("lib.py", "x = 1"), ArchiveEntry.File("b.txt", new string('b', 3000))]);
        return buffer.ToArray();
    }

    private static byte[] Frame(byte[] data, bool checksum)
    {
        using var buffer = new MemoryStream();
        using (var zstd = new CompressionStream(buffer, level: 3, leaveOpen: true))
        {
            zstd.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, checksum ? 1 : 0);
            zstd.Write(data);
        }

        return buffer.ToArray();
    }

    private static byte[] Skippable(int size) => [0x50, 0x2A, 0x4D, 0x18, (byte)size, 0, 0, 0, .. new byte[size]];

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];
}
