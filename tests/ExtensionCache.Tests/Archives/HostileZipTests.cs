using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Tests.Fixtures;

namespace ExtensionCache.Tests.Archives;

/// <summary>Each hostile zip fails with a message naming the entry and the rule, touches nothing outside the root, publishes nothing.</summary>
public sealed class HostileZipTests : IDisposable
{
    private readonly CacheHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Theory]
    [InlineData("../evil.txt", "'..'")]
    [InlineData("a/../../evil.txt", "'..'")]
    [InlineData("a\\..\\..\\evil.txt", "backslash")]
    [InlineData(".extension-cache-manifest.json", "reserved")]
    public async Task Path_escapes_are_refused(string name, string rule)
    {
        var zip = ArchiveBuilder.Zip([ArchiveEntry.File("ok.txt", "fine"), ArchiveEntry.File(name, "evil")]);

        var error = await FailsAsync(zip);

        Assert.Equal(FailureKind.BundleUnsafe, error.Kind);
        Assert.Contains(name, error.Message, StringComparison.Ordinal);
        Assert.Contains(rule, error.Message, StringComparison.Ordinal);
        Assert.Contains("bundle hostile", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_Unicode_Path_field_is_checked_like_any_name()
    {
        var zip = RawZip.Stored(
            new RawZip.Entry("ok.txt"u8.ToArray(), "fine"u8.ToArray()),
            new RawZip.Entry("safe.txt"u8.ToArray(), "evil"u8.ToArray(), Extra: RawZip.UnicodePath("safe.txt"u8.ToArray(), "../evil.txt")));

        var error = await FailsAsync(zip);

        Assert.Equal(FailureKind.BundleUnsafe, error.Kind);
        Assert.Contains("entry '../evil.txt' refused: a '..' segment is not allowed", error.Message, StringComparison.Ordinal);
        _harness.AssertOutsideUntouched();
    }

    [Fact]
    public async Task An_absolute_path_is_refused_and_not_written()
    {
        var target = _harness.Temp.Combine("evilabs");
        var zip = ArchiveBuilder.Zip([ArchiveEntry.File(target, "evil")]);

        var error = await FailsAsync(zip);

        Assert.Contains("absolute", error.Message, StringComparison.Ordinal);
        Assert.Contains(target, error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(target));
    }

    [Theory]
    [InlineData("x", ".", "empty or '.'")]
    [InlineData("ab", "a\0", "NUL")]
    public async Task Names_patched_to_dot_or_nul_are_refused(string placeholder, string name, string rule)
    {
        var zip = ArchiveBuilder.Zip([ArchiveEntry.File(placeholder, "evil")]);
        ZipPatch.Rename(zip, placeholder, name);

        var error = await FailsAsync(zip);

        Assert.Equal(FailureKind.BundleUnsafe, error.Kind);
        Assert.Contains(rule, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("escape", "../../../evil", "leaves the bundle")]
    [InlineData("escape", "/etc/passwd", "absolute")]
    [InlineData("deep/escape", "../../evil", "leaves the bundle")]
    public async Task Symlinks_leaving_the_bundle_are_refused(string name, string target, string rule)
    {
        var zip = ArchiveBuilder.Zip([ArchiveEntry.Symlink(name, target)]);

        var error = await FailsAsync(zip);

        Assert.Equal(FailureKind.BundleUnsafe, error.Kind);
        Assert.Contains(name, error.Message, StringComparison.Ordinal);
        Assert.Contains(rule, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Writing_through_a_symlink_is_refused()
    {
        var zip = ArchiveBuilder.Zip(
        [
            ArchiveEntry.Directory("inside/"),
            ArchiveEntry.Symlink("lnk", "inside"),
            ArchiveEntry.File("lnk/evil.txt", "through the link"),
        ]);

        var error = await FailsAsync(zip);

        Assert.Contains("lnk/evil.txt", error.Message, StringComparison.Ordinal);
        Assert.Contains("through the symlink 'lnk'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_link_chain_that_climbs_after_a_link_is_refused()
    {
        // x/y/up resolves to the bundle root; "x/y/up/../evil" would then climb physically out of it.
        var zip = ArchiveBuilder.Zip(
        [
            ArchiveEntry.Symlink("x/y/up", "../.."),
            ArchiveEntry.Symlink("chain", "x/y/up/../evil"),
        ]);

        var error = await FailsAsync(zip);

        Assert.Contains("'chain'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'..' after a name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Duplicate_names_are_refused()
    {
        var zip = ArchiveBuilder.Zip([ArchiveEntry.File("dup.txt", "one"), ArchiveEntry.File("dup.txt", "two")]);

        var error = await FailsAsync(zip);

        Assert.Contains("dup.txt", error.Message, StringComparison.Ordinal);
        Assert.Contains("duplicate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_crc_is_refused()
    {
        var zip = ArchiveBuilder.Zip([ArchiveEntry.File("data.bin", new byte[1000])], System.IO.Compression.CompressionLevel.NoCompression);
        zip[ZipOffsets.Data(zip, "data.bin") + 500] ^= 0xFF;

        var error = await FailsAsync(zip);

        Assert.Equal(FailureKind.BundleIntegrity, error.Kind);
        Assert.Contains("data.bin", error.Message, StringComparison.Ordinal);
        Assert.Contains("CRC-32", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_truncated_archive_is_refused()
    {
        var zip = ArchiveBuilder.Zip([ArchiveEntry.File("a.bin", new byte[100_000]), ArchiveEntry.File("b.txt", "b")]);

        var error = await FailsAsync(zip[..(zip.Length / 2)]);

        Assert.Equal(FailureKind.BundleIntegrity, error.Kind);
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_local_header_disagreeing_with_the_central_directory_is_refused()
    {
        var zip = ArchiveBuilder.Zip([ArchiveEntry.File("real.txt", "x")]);
        ZipPatch.Rename(zip, "real.txt", "fake.txt", localOnly: true);

        var error = await FailsAsync(zip);

        Assert.Contains("real.txt", error.Message, StringComparison.Ordinal);
        Assert.Contains("local header", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Encrypted_entries_are_refused_by_name()
    {
        var zip = ArchiveBuilder.Zip([ArchiveEntry.File("secret.txt", "x")]);
        ZipPatch.SetFlagBits(zip, "secret.txt", 0x1);

        var error = await FailsAsync(zip);

        Assert.Equal(FailureKind.BundleUnsupported, error.Kind);
        Assert.Contains("secret.txt", error.Message, StringComparison.Ordinal);
        Assert.Contains("encrypted", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unsupported_methods_are_refused_by_name()
    {
        var zip = ArchiveBuilder.Zip([ArchiveEntry.File("bz.txt", "x")]);
        ZipPatch.SetMethod(zip, "bz.txt", 12);

        var error = await FailsAsync(zip);

        Assert.Contains("bz.txt", error.Message, StringComparison.Ordinal);
        Assert.Contains("compression method 12", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Overlapping_entries_are_refused()
    {
        var zip = ArchiveBuilder.Zip([ArchiveEntry.File("a.txt", new byte[5000]), ArchiveEntry.File("b.txt", new byte[5000])]);
        ZipPatch.SetLocalHeaderOffset(zip, "b.txt", (uint)ZipOffsets.LocalHeader(zip, "a.txt") + 10);

        var error = await FailsAsync(zip);

        Assert.Contains("b.txt", error.Message, StringComparison.Ordinal);
        Assert.Contains("overlap", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_entry_that_inflates_past_its_declared_size_is_stopped()
    {
        var zip = ArchiveBuilder.Zip([ArchiveEntry.File("bomb.bin", new byte[10_000_000])], System.IO.Compression.CompressionLevel.SmallestSize);
        ZipPatch.SetUncompressedSize(zip, "bomb.bin", 1000);

        var error = await FailsAsync(zip);

        Assert.Equal(FailureKind.BundleIntegrity, error.Kind);
        Assert.Contains("bomb.bin", error.Message, StringComparison.Ordinal);
        Assert.Contains("more than its declared 1000 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_high_ratio_bundle_over_the_byte_cap_is_refused_before_writing()
    {
        using var harness = new CacheHarness(new CacheLimits(5_000_000, 100, 2, 65536));
        var zip = ArchiveBuilder.Zip([ArchiveEntry.File("bomb.bin", new byte[20_000_000])], System.IO.Compression.CompressionLevel.SmallestSize);
        var spec = harness.FileBundle("hostile", zip);

        var error = await harness.FailsAsync(spec);

        Assert.Equal(FailureKind.BundleTooLarge, error.Kind);
        Assert.Contains("5000000", error.Message, StringComparison.Ordinal);
        harness.AssertNothingPublished("hostile");
    }

    [Fact]
    public async Task Too_many_entries_are_refused()
    {
        using var harness = new CacheHarness(new CacheLimits(1 << 20, 3, 2, 65536));
        var zip = ArchiveBuilder.Zip(Enumerable.Range(0, 5).Select(i => ArchiveEntry.File($"f{i}", "x")));
        var spec = harness.FileBundle("hostile", zip);

        var error = await harness.FailsAsync(spec);

        Assert.Equal(FailureKind.BundleTooLarge, error.Kind);
        Assert.Contains("entry-count cap of 3", error.Message, StringComparison.Ordinal);
        harness.AssertNothingPublished("hostile");
    }

    private async Task<BundleException> FailsAsync(byte[] zip)
    {
        var spec = _harness.FileBundle("hostile", zip);
        var error = await _harness.FailsAsync(spec);
        _harness.AssertNothingPublished("hostile");
        Assert.False(File.Exists(_harness.Temp.Combine("evil.txt")));
        Assert.False(File.Exists(_harness.Temp.Combine("evil")));
        return error;
    }
}
