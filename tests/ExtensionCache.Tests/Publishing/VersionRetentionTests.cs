using ExtensionCache.Contract;
using ExtensionCache.Extension.Publishing;
using ExtensionCache.Tests.Fixtures;

namespace ExtensionCache.Tests.Publishing;

public sealed class VersionRetentionTests : IDisposable
{
    private readonly TempDirectory temp = new();

    private const string FullHash = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private const string DeltaHash = "entries-fedcba9876543210fedcba9876543210fedcba9876543210fedcba98";

    /// <summary>A stored version of <paramref name="bundle"/> named as the publisher names it.</summary>
    private string Version(string bundle, string version)
    {
        var path = new CacheLayout(temp.Path).VersionPath(bundle, version);
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Join(path, "data.txt"), version);
        return path;
    }

    private string Version(string version) => Version("a", version);

    [Fact]
    public void Every_version_but_the_current_one_goes_full_or_delta_and_other_bundles_are_left_alone()
    {
        Version(CacheLayout.VersionName(FullHash, 1));
        Version(CacheLayout.VersionName(FullHash, 2));
        Version(CacheLayout.VersionName(DeltaHash, 1));
        Version(CacheLayout.VersionName(DeltaHash, 2));
        var current = Version(CacheLayout.VersionName("entries-00000000000000000000000000000000000000000000000000000000000000ff", 1));
        var otherBundle = Version("a-0123456789abcdef", CacheLayout.VersionName(FullHash, 1));
        var retention = new VersionRetention(temp.Path, _ => false);

        var removed = retention.RemoveUnused("a", Path.GetFileName(current));

        Assert.Equal(4, removed.Count);
        Assert.Equal([current], Directory.EnumerateDirectories(Path.GetDirectoryName(current)!));
        Assert.True(Directory.Exists(otherBundle));
    }

    [Fact]
    public void A_version_a_process_holds_a_file_open_in_is_kept_until_it_is_closed()
    {
        var old = Version("0000000000000001");
        var current = Version("0000000000000002");
        var retention = new VersionRetention(temp.Path, ProcessFileUsage.IsInUse);

        using (File.OpenRead(Path.Join(old, "data.txt")))
        {
            Assert.Empty(retention.RemoveUnused("a", Path.GetFileName(current)));
            Assert.True(Directory.Exists(old));
        }

        Assert.Equal([old], retention.RemoveUnused("a", Path.GetFileName(current)));
        Assert.False(Directory.Exists(old));
        Assert.True(Directory.Exists(current));
    }

    [Fact]
    public void A_process_working_in_a_version_keeps_it()
    {
        var old = Version("0000000000000001");
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("sleep", "30") { WorkingDirectory = old })!;
        try
        {
            Assert.True(ProcessFileUsage.IsInUse(old));
            Assert.False(ProcessFileUsage.IsInUse(Version("0000000000000002")));
        }
        finally
        {
            process.Kill();
            process.WaitForExit();
        }

        Assert.False(ProcessFileUsage.IsInUse(old));
    }

    public void Dispose() => temp.Dispose();
}
