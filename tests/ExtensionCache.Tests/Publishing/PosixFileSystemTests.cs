using System.Text;
using ExtensionCache.Extension.Publishing;
using ExtensionCache.TestSupport;

namespace ExtensionCache.Tests.Publishing;

/// <summary>The system calls the extraction makes relative to a folder handle, against real files in a temp folder.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class PosixFileSystemTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("664")]
    [InlineData("777")]
    [InlineData("444")]
    [InlineData("400")]
    public void A_created_file_has_exactly_its_mode_whatever_the_umask_takes_away_and_is_still_written(string octal)
    {
        var mode = (UnixFileMode)Convert.ToInt32(octal, 8);
        using var folder = PosixFileSystem.OpenFolder(_temp.Path)!;
        using (var file = PosixFileSystem.CreateFile(folder, "f.txt", mode))
        {
            PosixFileSystem.WriteAt(file, "hello"u8, 0);
            PosixFileSystem.WriteAt(file, " world"u8, 5);
        }

        var path = Path.Join(_temp.Path, "f.txt");
        Assert.Equal(mode, File.GetUnixFileMode(path));
        Assert.Equal("hello world", File.ReadAllText(path, Encoding.UTF8));
    }

    [Fact]
    public void Creating_over_an_existing_file_or_symlink_fails_and_leaves_it()
    {
        File.WriteAllText(Path.Join(_temp.Path, "taken"), "mine");
        File.CreateSymbolicLink(Path.Join(_temp.Path, "link"), "/etc/passwd");
        using var folder = PosixFileSystem.OpenFolder(_temp.Path)!;

        Assert.Throws<IOException>(() => PosixFileSystem.CreateFile(folder, "taken", (UnixFileMode)Convert.ToInt32("644", 8)).Dispose());
        var error = Assert.Throws<IOException>(() => PosixFileSystem.CreateFile(folder, "link", (UnixFileMode)Convert.ToInt32("644", 8)).Dispose());
        Assert.Contains("create link failed", error.Message, StringComparison.Ordinal);
        Assert.Equal("mine", File.ReadAllText(Path.Join(_temp.Path, "taken")));
    }

    [Theory]
    [InlineData("2024-02-29T12:34:56.7891234Z")]
    [InlineData("1969-07-20T20:17:40.5Z")]
    [InlineData("1970-01-01T00:00:00Z")]
    public void The_mtime_is_set_to_the_tick_and_the_atime_is_left(string when)
    {
        var modified = DateTimeOffset.Parse(when, System.Globalization.CultureInfo.InvariantCulture);
        var path = Path.Join(_temp.Path, "t.bin");
        File.WriteAllBytes(path, [1]);
        var atime = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastAccessTimeUtc(path, atime);
        using (var file = File.OpenHandle(path, FileMode.Open, FileAccess.Write))
        {
            PosixFileSystem.SetModified(file, modified);
        }

        Assert.Equal(modified.UtcDateTime, File.GetLastWriteTimeUtc(path));
        Assert.Equal(atime, File.GetLastAccessTimeUtc(path));
    }
}
