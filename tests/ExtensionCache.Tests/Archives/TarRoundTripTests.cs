using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Tests.Fixtures;

namespace ExtensionCache.Tests.Archives;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class TarRoundTripTests : IDisposable
{
    private readonly CacheHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Theory]
    [InlineData(BundleFormat.TarGz)]
    [InlineData(BundleFormat.TarZst)]
    public async Task Tar_round_trips_content_modes_directories_and_symlinks(BundleFormat format)
    {
        var entries = ZipRoundTripTests.NodeModulesLike();
        var archive = format == BundleFormat.TarGz ? ArchiveBuilder.TarGz(entries) : ArchiveBuilder.TarZst(entries);
        var spec = _harness.FileBundle("deps", archive, format);
        _harness.Cache.PrepareRoot([spec]);

        var result = await _harness.Cache.PrepareAsync(spec, CancellationToken.None);

        ZipRoundTripTests.AssertNodeModulesLike(result.PublishedPath);
        Assert.Contains(format == BundleFormat.TarGz ? "\"tar.gz\"" : "\"tar.zst\"", File.ReadAllText(Path.Join(result.PublishedPath, ".extension-cache-manifest.json")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(BundleFormat.Zip)]
    [InlineData(BundleFormat.TarGz)]
    [InlineData(BundleFormat.TarZst)]
    public async Task File_modification_times_are_kept(BundleFormat format)
    {
        var when = new DateTimeOffset(2021, 3, 4, 5, 6, 8, TimeSpan.Zero);
        var entries = new[] { ArchiveEntry.File("mod.py", "x = 1") with { Modified = when } };
        var archive = format switch
        {
            BundleFormat.Zip => ArchiveBuilder.Zip(entries),
            BundleFormat.TarGz => ArchiveBuilder.TarGz(entries),
            _ => ArchiveBuilder.TarZst(entries),
        };
        var spec = _harness.FileBundle("times", archive, format);
        _harness.Cache.PrepareRoot([spec]);

        var result = await _harness.Cache.PrepareAsync(spec, CancellationToken.None);

        Assert.Equal(when.UtcDateTime, File.GetLastWriteTimeUtc(Path.Join(result.PublishedPath, "mod.py")));
    }

    [Fact]
    public async Task A_tar_zst_without_content_checksum_is_refused_unless_pinned()
    {
        var entries = new[] { ArchiveEntry.File("lib.py", "x = 1") };
        var archive = ArchiveBuilder.TarZst(entries, checksum: false);
        var unpinned = _harness.FileBundle("nochecksum", archive, BundleFormat.TarZst);

        var error = await _harness.FailsAsync(unpinned);

        Assert.Equal(FailureKind.BundleIntegrity, error.Kind);
        Assert.Contains("without zstd's content checksum", error.Message, StringComparison.Ordinal);
        Assert.Contains("#sha256=", error.Message, StringComparison.Ordinal);
        _harness.AssertNothingPublished("nochecksum");

        // Pinned, the whole archive is verified by its sha256, so the missing frame checksum does not matter.
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(archive));
        var pinned = _harness.FileBundle("pinned", archive, BundleFormat.TarZst, sha);
        _harness.Cache.PrepareRoot([pinned]);
        var result = await _harness.Cache.PrepareAsync(pinned, CancellationToken.None);
        Assert.Equal("x = 1", File.ReadAllText(Path.Join(result.PublishedPath, "lib.py")));
    }

    [Fact]
    public async Task A_leading_dot_slash_root_entry_is_accepted()
    {
        var entries = new[] { ArchiveEntry.Directory("./"), ArchiveEntry.File("./a.txt", "a") };
        var spec = _harness.FileBundle("dot", ArchiveBuilder.TarGz(entries), BundleFormat.TarGz);
        _harness.Cache.PrepareRoot([spec]);

        var result = await _harness.Cache.PrepareAsync(spec, CancellationToken.None);

        Assert.Equal("a", File.ReadAllText(Path.Join(result.PublishedPath, "a.txt")));
    }
}
