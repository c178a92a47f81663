using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Tests.Fixtures;

namespace ExtensionCache.Tests.Archives;

/// <summary>What real zip writers add around the entries: a root './' entry, zero padding after the end record, an archive comment.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ZipToleranceTests : IDisposable
{
    private readonly CacheHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public async Task A_dot_slash_root_entry_adds_nothing()
    {
        var zip = ArchiveBuilder.Zip([ArchiveEntry.Directory("./"), ArchiveEntry.File("./a.txt", "a")]);

        var published = await PublishAsync(zip);

        Assert.Equal("a", File.ReadAllText(Path.Join(published, "a.txt")));
    }

    [Fact]
    public async Task Zero_padding_after_the_end_record_is_accepted()
    {
        var zip = ArchiveBuilder.Zip([ArchiveEntry.File("a.txt", "a")]);

        var published = await PublishAsync([.. zip, .. new byte[10240 - (zip.Length % 10240)]]);

        Assert.Equal("a", File.ReadAllText(Path.Join(published, "a.txt")));
    }

    [Fact]
    public async Task Other_bytes_after_the_end_record_are_refused()
    {
        var zip = ArchiveBuilder.Zip([ArchiveEntry.File("a.txt", "a")]);

        var error = await _harness.FailsAsync(_harness.FileBundle("garbage", [.. zip, 0, 0, 7, 0], BundleFormat.Zip));

        Assert.Equal(FailureKind.BundleIntegrity, error.Kind);
        Assert.Contains("no end-of-central-directory record", error.Message, StringComparison.Ordinal);
    }

    private async Task<string> PublishAsync(byte[] archive)
    {
        var spec = _harness.FileBundle("zip", archive, BundleFormat.Zip);
        _harness.Cache.PrepareRoot([spec]);
        return (await _harness.Cache.PrepareAsync(spec, CancellationToken.None)).PublishedPath;
    }
}
