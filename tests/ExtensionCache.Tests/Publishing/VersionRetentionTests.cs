using ExtensionCache.Extension.Publishing;
using ExtensionCache.Tests.Fixtures;

namespace ExtensionCache.Tests.Publishing;

public sealed class VersionRetentionTests : IDisposable
{
    private readonly TempDirectory temp = new();

    private string Version(string name)
    {
        var path = temp.Combine(name);
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Join(path, "data.txt"), name);
        return path;
    }

    [Fact]
    public void Every_version_but_the_current_one_goes_and_other_bundles_are_left_alone()
    {
        Version("a-0000000000000001");
        Version("a-0000000000000002");
        Version("a-0000000000000002-2");
        var current = Version("a-0000000000000003");
        var otherBundle = Version("a-b-0000000000000001");
        var retention = new VersionRetention(temp.Path, _ => false);

        var removed = retention.RemoveUnused("a", Path.GetFileName(current));

        Assert.Equal(3, removed.Count);
        Assert.Equal(
            [Path.GetFileName(current), Path.GetFileName(otherBundle)],
            Directory.EnumerateDirectories(temp.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_version_a_process_holds_a_file_open_in_is_kept_until_it_is_closed()
    {
        var old = Version("a-0000000000000001");
        var current = Version("a-0000000000000002");
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
        var old = Version("a-0000000000000001");
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("sleep", "30") { WorkingDirectory = old })!;
        try
        {
            Assert.True(ProcessFileUsage.IsInUse(old));
            Assert.False(ProcessFileUsage.IsInUse(Version("a-0000000000000002")));
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
