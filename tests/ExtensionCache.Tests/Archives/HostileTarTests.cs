using System.Formats.Tar;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Tests.Fixtures;

namespace ExtensionCache.Tests.Archives;

public sealed class HostileTarTests : IDisposable
{
    private readonly CacheHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public async Task Hard_links_are_refused_by_name()
    {
        var tar = ArchiveBuilder.TarGz(w =>
        {
            w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "a.txt") { DataStream = new MemoryStream([1]) });
            w.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "hard") { LinkName = "a.txt" });
        });

        var error = await FailsAsync(tar);

        Assert.Contains("'hard'", error.Message, StringComparison.Ordinal);
        Assert.Contains("hard links are not allowed", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(TarEntryType.Fifo, "fifo entries")]
    [InlineData(TarEntryType.CharacterDevice, "device entries")]
    [InlineData(TarEntryType.BlockDevice, "device entries")]
    public async Task Devices_and_fifos_are_refused_by_name(TarEntryType type, string rule)
    {
        var tar = ArchiveBuilder.TarGz(w => w.WriteEntry(new PaxTarEntry(type, "special")));

        var error = await FailsAsync(tar);

        Assert.Contains("'special'", error.Message, StringComparison.Ordinal);
        Assert.Contains(rule, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../evil.txt", "'..'")]
    [InlineData("/evil.txt", "absolute")]
    public async Task Path_escapes_are_refused(string name, string rule)
    {
        var error = await FailsAsync(ArchiveBuilder.TarGz([ArchiveEntry.File(name, "evil")]));

        Assert.Contains(name, error.Message, StringComparison.Ordinal);
        Assert.Contains(rule, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_symlink_out_then_a_write_through_it_is_refused_at_the_link()
    {
        var error = await FailsAsync(ArchiveBuilder.TarGz(
        [
            ArchiveEntry.Symlink("out", "../../.."),
            ArchiveEntry.File("out/evil.txt", "evil"),
        ]));

        Assert.Contains("'out'", error.Message, StringComparison.Ordinal);
        Assert.Contains("leaves the bundle", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Writing_through_an_inside_symlink_is_refused()
    {
        var error = await FailsAsync(ArchiveBuilder.TarZst(
        [
            ArchiveEntry.Directory("d"),
            ArchiveEntry.Symlink("l", "d"),
            ArchiveEntry.File("l/x.txt", "through"),
        ]), BundleFormat.TarZst);

        Assert.Contains("l/x.txt", error.Message, StringComparison.Ordinal);
        Assert.Contains("through the symlink", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Duplicate_names_are_refused()
    {
        var error = await FailsAsync(ArchiveBuilder.TarGz([ArchiveEntry.File("d.txt", "1"), ArchiveEntry.File("d.txt", "2")]));

        Assert.Contains("d.txt", error.Message, StringComparison.Ordinal);
        Assert.Contains("duplicate", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(BundleFormat.TarGz)]
    [InlineData(BundleFormat.TarZst)]
    public async Task A_truncated_archive_is_refused(BundleFormat format)
    {
        var random = new byte[200_000];
        new Random(3).NextBytes(random);
        var entries = new[] { ArchiveEntry.File("a.bin", random), ArchiveEntry.File("b.txt", "b") };
        var archive = format == BundleFormat.TarGz ? ArchiveBuilder.TarGz(entries) : ArchiveBuilder.TarZst(entries);

        var error = await FailsAsync(archive[..(archive.Length / 2)], format);

        Assert.Equal(FailureKind.BundleIntegrity, error.Kind);
        Assert.Contains("a.bin", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bytes_actually_written_are_capped()
    {
        using var harness = new CacheHarness(new CacheLimits(100_000, 100, 2, 65536));
        var spec = harness.FileBundle("hostile", ArchiveBuilder.TarGz([ArchiveEntry.File("small.txt", "ok"), ArchiveEntry.File("zeros.bin", new byte[1_000_000])]), BundleFormat.TarGz);

        var error = await harness.FailsAsync(spec);

        Assert.Equal(FailureKind.BundleTooLarge, error.Kind);
        Assert.Contains("zeros.bin", error.Message, StringComparison.Ordinal);
        Assert.Contains("100000", error.Message, StringComparison.Ordinal);
        harness.AssertNothingPublished("hostile");
    }

    [Fact]
    public async Task Too_many_entries_are_refused_naming_the_first_one_over()
    {
        using var harness = new CacheHarness(new CacheLimits(1 << 20, 3, 2, 65536));
        var spec = harness.FileBundle("hostile", ArchiveBuilder.TarGz(Enumerable.Range(0, 5).Select(i => ArchiveEntry.File($"f{i}", "x"))), BundleFormat.TarGz);

        var error = await harness.FailsAsync(spec);

        Assert.Contains("'f3'", error.Message, StringComparison.Ordinal);
        Assert.Contains("entry-count cap", error.Message, StringComparison.Ordinal);
        harness.AssertNothingPublished("hostile");
    }

    private async Task<BundleException> FailsAsync(byte[] archive, BundleFormat format = BundleFormat.TarGz)
    {
        var spec = _harness.FileBundle("hostile", archive, format);
        var error = await _harness.FailsAsync(spec);
        _harness.AssertNothingPublished("hostile");
        Assert.False(File.Exists(_harness.Temp.Combine("evil.txt")));
        return error;
    }
}
