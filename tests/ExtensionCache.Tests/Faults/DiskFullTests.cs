using ExtensionCache.Contract;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Extension.Publishing;
using ExtensionCache.Tests.Fixtures;

namespace ExtensionCache.Tests.Faults;

/// <summary>The cache root on a real 8 MB tmpfs: a bundle that cannot fit fails cleanly and leaves the earlier one intact.</summary>
public sealed class DiskFullTests : IDisposable
{
    private readonly CacheHarness _harness = new();
    private readonly TmpfsMount _disk;

    public DiskFullTests()
    {
        _disk = new TmpfsMount(_harness.Root, "8m");
    }

    public void Dispose()
    {
        _disk.Dispose();
        _harness.Dispose();
    }

    [Fact]
    public async Task A_zip_declaring_more_than_the_free_space_fails_before_writing_and_names_the_bundle_and_the_sizes()
    {
        await PublishSmallAsync();
        var big = _harness.FileBundle("big", ArchiveBuilder.Zip([ArchiveEntry.File("zeros.bin", new byte[10 << 20])]));
        var freeBefore = _disk.FreeBytes;

        var error = await FailsAsync(big);

        Assert.Equal(FailureKind.BundleTooLarge, error.Kind);
        Assert.Contains("bundle big", error.Message, StringComparison.Ordinal);
        Assert.Contains((10 << 20).ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
        Assert.Contains("free space", error.Message, StringComparison.Ordinal);
        Assert.InRange(freeBefore - _disk.FreeBytes, long.MinValue, 64 * 1024);
        AssertCleanAfterFailure();
    }

    [Fact]
    public async Task A_tar_gz_that_fills_the_disk_mid_write_fails_cleanly_removes_staging_and_keeps_the_earlier_bundle()
    {
        await PublishSmallAsync();

        // One byte each, so the byte budget (taken from the free space) is never reached: each file still takes a
        // page of tmpfs, and the disk fills for real part-way through.
        var files = Enumerable.Range(0, 3000).Select(i => ArchiveEntry.File($"many/f{i}.txt", "x"));
        var big = _harness.FileBundle("big", ArchiveBuilder.TarGz(files), BundleFormat.TarGz);
        var freeBefore = _disk.FreeBytes;

        var error = await FailsAsync(big);

        Assert.Equal(FailureKind.BundleTooLarge, error.Kind);
        Assert.Contains("bundle big", error.Message, StringComparison.Ordinal);
        Assert.Contains("no space left", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.InRange(freeBefore - _disk.FreeBytes, long.MinValue, 64 * 1024);
        AssertCleanAfterFailure();
    }

    private async Task PublishSmallAsync()
    {
        var small = _harness.FileBundle("small", ArchiveBuilder.TarGz([ArchiveEntry.File("a.txt", "earlier")]), BundleFormat.TarGz);
        _harness.Cache.PrepareRoot([small]);
        await _harness.Cache.PrepareAsync(small, CancellationToken.None);
    }

    private async Task<BundleException> FailsAsync(BundleSpec spec) =>
        await Assert.ThrowsAsync<BundleException>(() => _harness.Cache.PrepareAsync(spec, CancellationToken.None));

    private void AssertCleanAfterFailure()
    {
        Assert.Equal("earlier", File.ReadAllText(Path.Join(_harness.Root, "small", "a.txt")));
        Assert.False(Path.Exists(Path.Join(_harness.Root, "big")), "nothing published for the failed bundle");
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Join(_harness.Root, CacheLayout.StagingFolderName)));
        Assert.Contains("\"failed\"", File.ReadAllText(Path.Join(_harness.Root, CacheLayout.StatusFolderName, "big.json")), StringComparison.Ordinal);
        _harness.AssertOutsideUntouched();
    }
}
