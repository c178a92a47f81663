using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Tests.Fixtures;
using ExtensionCache.Tests.Interop;

namespace ExtensionCache.Tests.Archives;

/// <summary>
/// What real zip writers add around the entries: a root './' entry, zero padding after the end record, an archive
/// comment, Info-ZIP's Unicode Path field.
/// </summary>
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

    /// <summary>
    /// Info-ZIP's Unicode Path field (0x7075, written by WinZip, Info-ZIP outside UTF-8 locales, commons-compress)
    /// names the entry when the UTF-8 flag is clear and its CRC matches the name field: the extension publishes what
    /// unzip extracts. A code page 437 "café.txt" carrying it is no longer refused as not UTF-8.
    /// </summary>
    [Theory]
    [InlineData("caf\u0082.txt", "café.txt", 0, false)]
    [InlineData("a.txt", "b.txt", 0, false)]
    [InlineData("a.txt", "b.txt", 0x0800, false)]
    [InlineData("a.txt", "b.txt", 0, true)]
    public async Task A_Unicode_Path_field_names_the_entry_as_unzip_reads_it(string nameField, string unicodePath, int flags, bool stale)
    {
        var raw = System.Text.Encoding.Latin1.GetBytes(nameField);
        var zip = RawZip.Stored(
            new RawZip.Entry("first.txt"u8.ToArray(), "1"u8.ToArray()),
            new RawZip.Entry(raw, "unicode path"u8.ToArray(), (ushort)flags, RawZip.UnicodePath(raw, unicodePath, stale)));

        var published = await PublishAsync(zip);

        var archive = _harness.Temp.Combine("unicode-path.zip");
        File.WriteAllBytes(archive, zip);
        var reference = _harness.Temp.Combine("unicode-path-reference");
        Directory.CreateDirectory(reference);
        var (unzipped, unzipOutput) = ProducerShell.TryRun("unzip -q \"$O\" -d .", reference, archive);
        Assert.True(unzipped <= 1, $"unzip failed ({unzipped}): {unzipOutput}"); // 1: a warning (a stale Unicode Path)
        var expected = TreeSnapshot.Take(reference, mtimes: true); // exec bits: zip files are published read-only
        Assert.Equal(2, expected.Count);
        var diff = TreeSnapshot.Diff(TreeSnapshot.Take(published, mtimes: true), expected);
        Assert.True(diff.Length == 0, diff);
        Directory.Delete(reference, recursive: true);
        File.Delete(archive);
    }

    [Fact]
    public async Task A_local_header_without_the_central_Unicode_Path_names_another_entry_and_is_refused()
    {
        var raw = System.Text.Encoding.Latin1.GetBytes("caf\u0082.txt");
        var zip = RawZip.Stored(new RawZip.Entry(raw, "x"u8.ToArray(), Extra: RawZip.UnicodePath(raw, "café.txt"), LocalExtra: []));

        var error = await _harness.FailsAsync(_harness.FileBundle("local", zip, BundleFormat.Zip));

        Assert.Equal(FailureKind.BundleIntegrity, error.Kind);
        Assert.Contains("entry 'café.txt'", error.Message, StringComparison.Ordinal);
        Assert.Contains("its local header names a different entry ('caf\\x82.txt')", error.Message, StringComparison.Ordinal);
        _harness.AssertNothingPublished("local");
    }

    private async Task<string> PublishAsync(byte[] archive)
    {
        var spec = _harness.FileBundle("zip", archive, BundleFormat.Zip);
        _harness.Cache.PrepareRoot([spec]);
        return (await _harness.Cache.PrepareAsync(spec, CancellationToken.None)).PublishedPath;
    }
}
