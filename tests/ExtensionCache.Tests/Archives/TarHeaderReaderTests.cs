using System.Text;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Tests.Fixtures;

namespace ExtensionCache.Tests.Archives;

/// <summary>The tar header reader on headers written byte by byte: what real tools write is read, what is malformed is refused by name.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class TarHeaderReaderTests : IDisposable
{
    private readonly CacheHarness _harness = new(new CacheLimits(MaxUnpackedBytes: 1 << 20, MaxEntries: 100, Concurrency: 2, PartSizeBytes: 64 * 1024));

    public void Dispose() => _harness.Dispose();

    [Fact]
    public async Task A_PAX_header_without_path_keeps_the_ustar_prefix()
    {
        var tar = new RawTar()
            .Pax(("mtime", "1600000000.5"))
            .Header('0', "file.txt", 2, prefix: "some/dir").Data("hi"u8.ToArray());

        var published = await PublishAsync(tar.TarGz());

        Assert.Equal("hi", File.ReadAllText(Path.Join(published, "some/dir/file.txt")));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_600_000_000).AddMilliseconds(500).UtcDateTime, File.GetLastWriteTimeUtc(Path.Join(published, "some/dir/file.txt")));
    }

    [Fact]
    public async Task Base_256_sizes_and_ids_of_2_to_the_31_and_more_are_read()
    {
        var tar = new RawTar().Header('0', "big-ids.txt", 0, magic: "ustar  \0", patch: h =>
        {
            Base256(h, 108, 8, 4_294_967_294);
            Base256(h, 116, 8, 4_294_967_294);
            Base256(h, 124, 12, 3);
        }).Data("abc"u8.ToArray());

        var published = await PublishAsync(tar.TarGz());

        Assert.Equal("abc", File.ReadAllText(Path.Join(published, "big-ids.txt")));
    }

    [Fact]
    public async Task A_GNU_long_name_and_long_link_name_are_applied()
    {
        var name = "dir/" + new string('n', 150);
        var link = new string('t', 120);
        var tar = new RawTar()
            .Header('L', "././@LongLink", Encoding.UTF8.GetByteCount(name) + 1, magic: "ustar  \0").Data([.. Encoding.UTF8.GetBytes(name), 0])
            .Header('0', "truncated", 1, magic: "ustar  \0").Data("x"u8.ToArray())
            .Header('K', "././@LongLink", link.Length + 1, magic: "ustar  \0").Data([.. Encoding.UTF8.GetBytes(link), 0])
            .Header('2', "dir/link", 0, magic: "ustar  \0");

        var published = await PublishAsync(tar.TarGz());

        Assert.Equal("x", File.ReadAllText(Path.Join(published, name)));
        Assert.Equal(link, new FileInfo(Path.Join(published, "dir/link")).LinkTarget);
    }

    [Fact]
    public async Task An_old_GNU_sparse_file_is_expanded()
    {
        var tar = new RawTar().Header('S', "holes.bin", 4, magic: "ustar  \0", patch: h =>
        {
            RawTar.Octal(h, 386, 12, 1000);
            RawTar.Octal(h, 398, 12, 2);
            RawTar.Octal(h, 410, 12, 5000);
            RawTar.Octal(h, 422, 12, 2);
            RawTar.Octal(h, 483, 12, 6000);
        }).Data("abcd"u8.ToArray());

        var published = await PublishAsync(tar.TarGz());

        var content = File.ReadAllBytes(Path.Join(published, "holes.bin"));
        Assert.Equal(6000, content.Length);
        Assert.Equal("ab"u8.ToArray(), content[1000..1002]);
        Assert.Equal("cd"u8.ToArray(), content[5000..5002]);
        Assert.Equal(5996, content.Count(b => b == 0));
    }

    [Fact]
    public async Task A_sparse_file_that_expands_past_the_byte_cap_is_refused_by_name()
    {
        var tar = new RawTar()
            .Pax(("GNU.sparse.size", "1073741824"), ("GNU.sparse.map", "1073741820,4"), ("GNU.sparse.name", "huge.img"))
            .Header('0', "GNUSparseFile.0/huge.img", 4).Data("tail"u8.ToArray());

        var error = await _harness.FailsAsync(_harness.FileBundle("cap", tar.TarGz(), BundleFormat.TarGz));

        Assert.Equal(FailureKind.BundleTooLarge, error.Kind);
        Assert.Contains("'huge.img'", error.Message, StringComparison.Ordinal);
        _harness.AssertNothingPublished("cap");
    }

    [Theory]
    [InlineData("0,10,5,10", "overlapping or out-of-range")]
    [InlineData("0,10,95,10", "overlapping or out-of-range")]
    [InlineData("0,10", "maps 10 bytes but 20 are stored")]
    public async Task A_sparse_map_that_does_not_fit_is_refused_as_corrupt(string map, string cause)
    {
        var tar = new RawTar()
            .Pax(("GNU.sparse.size", "100"), ("GNU.sparse.map", map), ("GNU.sparse.name", "bad.img"))
            .Header('0', "GNUSparseFile.0/bad.img", 20).Data(new byte[20]);

        var error = await _harness.FailsAsync(_harness.FileBundle("map", tar.TarGz(), BundleFormat.TarGz));

        Assert.Equal(FailureKind.BundleIntegrity, error.Kind);
        Assert.Contains("bad.img", error.Message, StringComparison.Ordinal);
        Assert.Contains(cause, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sparse_real_name_is_checked_like_any_other_name()
    {
        var tar = new RawTar()
            .Pax(("GNU.sparse.major", "1"), ("GNU.sparse.minor", "0"), ("GNU.sparse.name", "../escape.img"), ("GNU.sparse.realsize", "4"))
            .Header('0', "GNUSparseFile.0/escape.img", 516).Data([.. Encoding.ASCII.GetBytes("1\n0\n4\n").Concat(new byte[506]), .. "data"u8.ToArray()]);

        var error = await _harness.FailsAsync(_harness.FileBundle("escape", tar.TarGz(), BundleFormat.TarGz));

        Assert.Equal(FailureKind.BundleUnsafe, error.Kind);
        Assert.Contains("'../escape.img'", error.Message, StringComparison.Ordinal);
        _harness.AssertOutsideUntouched();
    }

    [Fact]
    public async Task An_unknown_entry_type_is_refused_by_name()
    {
        var tar = new RawTar().Header('Q', "odd", 0);

        var error = await _harness.FailsAsync(_harness.FileBundle("type", tar.TarGz(), BundleFormat.TarGz));

        Assert.Equal(FailureKind.BundleUnsafe, error.Kind);
        Assert.Contains("'odd'", error.Message, StringComparison.Ordinal);
        Assert.Contains("tar entry type 'Q' is not supported", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_GNU_incremental_directory_is_a_directory()
    {
        var listing = "Ya.txt\0\0"u8.ToArray();
        var tar = new RawTar()
            .Header('D', "inc/", listing.Length, magic: "ustar  \0").Data(listing)
            .Header('0', "inc/a.txt", 1, magic: "ustar  \0").Data("a"u8.ToArray());

        var published = await PublishAsync(tar.TarGz());

        Assert.Equal("a", File.ReadAllText(Path.Join(published, "inc/a.txt")));
    }

    [Fact]
    public async Task A_tar_cut_off_at_an_entry_boundary_is_refused_as_truncated()
    {
        var tar = new RawTar().Header('0', "a.txt", 1).Data("a"u8.ToArray());

        var error = await _harness.FailsAsync(_harness.FileBundle("cut", tar.TarGz(endMarker: false), BundleFormat.TarGz));

        Assert.Equal(FailureKind.BundleIntegrity, error.Kind);
        Assert.Contains("end-of-archive marker", error.Message, StringComparison.Ordinal);
        _harness.AssertNothingPublished("cut");
    }

    [Fact]
    public async Task A_header_with_a_wrong_checksum_is_refused_as_corrupt()
    {
        var tar = new RawTar().Header('0', "a.txt", 1, badChecksum: true).Data("a"u8.ToArray());

        var error = await _harness.FailsAsync(_harness.FileBundle("sum", tar.TarGz(), BundleFormat.TarGz));

        Assert.Equal(FailureKind.BundleIntegrity, error.Kind);
        Assert.Contains("checksum", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_oversized_PAX_header_is_refused_before_it_is_read()
    {
        var tar = new RawTar().Header('x', "PaxHeaders/big", 64L * 1024 * 1024);

        var error = await _harness.FailsAsync(_harness.FileBundle("pax", tar.TarGz(), BundleFormat.TarGz));

        Assert.Equal(FailureKind.BundleUnsupported, error.Kind);
        Assert.Contains("PAX extended header", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// What GNU tar and bsdtar put in the name field of a metadata entry before a long multi-byte name: a made-up
    /// name cut at the field's end, inside a character (here 99 bytes: the last character lacks its third byte).
    /// </summary>
    private static readonly byte[] CutName = [.. "long/PaxHeaders/"u8, .. Encoding.UTF8.GetBytes(new string('日', 27)), 0xE6, 0x97];

    private static readonly string LongName = "long/" + new string('日', 40);

    [Fact]
    public async Task The_own_name_fields_of_metadata_entries_are_never_checked()
    {
        var target = new string('標', 40);
        var tar = new RawTar()
            .Pax(CutName, [("comment", "a global header"u8.ToArray())], type: 'g')
            .Header('V', string.Empty, 0, magic: "ustar  \0", patch: RawTar.RawName(CutName))
            .Pax(CutName, [("path", Encoding.UTF8.GetBytes(LongName))])
            .Header('0', string.Empty, 2, prefix: "long", patch: RawTar.RawName(CutName[16..])).Data("px"u8.ToArray())
            .Header('L', string.Empty, Encoding.UTF8.GetByteCount(LongName) + 5, magic: "ustar  \0", patch: RawTar.RawName(CutName))
            .Data([.. Encoding.UTF8.GetBytes(LongName + ".gnu"), 0])
            .Header('0', string.Empty, 2, magic: "ustar  \0", patch: RawTar.RawName(CutName[5..])).Data("gn"u8.ToArray())
            .Header('K', string.Empty, Encoding.UTF8.GetByteCount(target) + 1, magic: "ustar  \0", patch: RawTar.RawName(CutName))
            .Data([.. Encoding.UTF8.GetBytes(target), 0])
            .Header('2', "long/link", 0, magic: "ustar  \0", patch: RawTar.RawLinkName(CutName[16..]));

        var published = await PublishAsync(tar.TarGz());

        Assert.Equal("px", File.ReadAllText(Path.Join(published, LongName)));
        Assert.Equal("gn", File.ReadAllText(Path.Join(published, LongName + ".gnu")));
        Assert.Equal(target, new FileInfo(Path.Join(published, "long/link")).LinkTarget);
        Assert.Equal(["long"], Directory.GetFileSystemEntries(published).Select(Path.GetFileName).Where(n => !n!.StartsWith(".extension-cache", StringComparison.Ordinal)));
    }

    /// <summary>As in GNU tar, a PAX path wins over a GNU long name; the long name it replaces is not read.</summary>
    [Fact]
    public async Task A_GNU_long_name_under_a_PAX_path_is_not_read()
    {
        byte[] latin1 = [.. Encoding.Latin1.GetBytes("gnu-café.txt"), 0];
        var tar = new RawTar()
            .Header('L', "././@LongLink", latin1.Length, magic: "ustar  \0").Data(latin1)
            .Pax(CutName, [("path", Encoding.UTF8.GetBytes(LongName))])
            .Header('0', "short", 1, magic: "ustar  \0").Data("p"u8.ToArray());

        var published = await PublishAsync(tar.TarGz());

        Assert.Equal("p", File.ReadAllText(Path.Join(published, LongName)));
    }

    [Fact]
    public async Task A_PAX_path_that_is_not_utf8_is_refused_naming_that_path_not_the_header_s_name()
    {
        var latin1 = Encoding.Latin1.GetBytes("./dir/café.txt");
        var tar = new RawTar()
            .Pax(Encoding.Latin1.GetBytes("./dir/PaxHeaders/café.txt"), [("hdrcharset", "BINARY"u8.ToArray()), ("path", latin1)])
            .Header('0', string.Empty, 1, patch: RawTar.RawName(latin1)).Data("x"u8.ToArray());

        var error = await _harness.FailsAsync(_harness.FileBundle("latin1", tar.TarGz(), BundleFormat.TarGz));

        Assert.Equal(FailureKind.BundleUnsafe, error.Kind);
        Assert.Contains("entry './dir/café.txt' refused: the name is not valid UTF-8", error.Message, StringComparison.Ordinal);
        _harness.AssertNothingPublished("latin1");
    }

    [Fact]
    public async Task A_malformed_PAX_header_is_reported_without_its_made_up_name()
    {
        var malformed = "99 path=b\n"u8.ToArray();
        var tar = new RawTar()
            .Pax(CutName, [("path", Encoding.UTF8.GetBytes(LongName))])
            .Header('0', "a.txt", 1).Data("a"u8.ToArray())
            .Header('x', string.Empty, malformed.Length, patch: RawTar.RawName(CutName)).Data(malformed)
            .Header('0', "b.txt", 1).Data("b"u8.ToArray());

        var error = await _harness.FailsAsync(_harness.FileBundle("pax", tar.TarGz(), BundleFormat.TarGz));

        Assert.Equal(FailureKind.BundleIntegrity, error.Kind);
        Assert.Contains($"after entry '{LongName}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("a PAX extended header has a malformed record at byte 0", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("PaxHeaders", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_linkname_field_is_read_only_for_links_and_only_without_a_PAX_linkpath()
    {
        var target = new string('標', 40);
        var tar = new RawTar()
            .Header('0', "file.txt", 1, patch: RawTar.RawLinkName([0xFF, 0xFE, 0xE6])).Data("f"u8.ToArray())
            .Pax(CutName, [("linkpath", Encoding.UTF8.GetBytes(target))])
            .Header('2', "link", 0, patch: RawTar.RawLinkName(CutName[16..]));

        var published = await PublishAsync(tar.TarGz());

        Assert.Equal("f", File.ReadAllText(Path.Join(published, "file.txt")));
        Assert.Equal(target, new FileInfo(Path.Join(published, "link")).LinkTarget);
    }

    [Fact]
    public async Task A_symlink_target_that_is_not_utf8_is_refused_naming_the_link()
    {
        var tar = new RawTar().Header('2', "dir/link", 0, patch: RawTar.RawLinkName(Encoding.Latin1.GetBytes("café.txt")));

        var error = await _harness.FailsAsync(_harness.FileBundle("link", tar.TarGz(), BundleFormat.TarGz));

        Assert.Equal(FailureKind.BundleUnsafe, error.Kind);
        Assert.Contains("entry 'dir/link' refused: its symlink target 'café.txt' is not valid UTF-8", error.Message, StringComparison.Ordinal);
        _harness.AssertNothingPublished("link");
    }

    [Fact]
    public async Task A_hard_link_is_refused_as_a_hard_link_whatever_its_target_s_encoding()
    {
        var tar = new RawTar().Header('1', "hard", 0, patch: RawTar.RawLinkName(Encoding.Latin1.GetBytes("café.txt")));

        var error = await _harness.FailsAsync(_harness.FileBundle("hard", tar.TarGz(), BundleFormat.TarGz));

        Assert.Equal(FailureKind.BundleUnsafe, error.Kind);
        Assert.Contains("entry 'hard' refused: hard links are not allowed (link to 'café.txt')", error.Message, StringComparison.Ordinal);
    }

    /// <summary>As GNU tar and libarchive do: GNU.sparse.name is the name, before or after a path record, sparse or not.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task GNU_sparse_name_is_the_name_written_whichever_record_comes_first(bool nameFirst)
    {
        (string, byte[]) path = ("path", Encoding.UTF8.GetBytes("GNUSparseFile.0/" + LongName));
        (string, byte[]) real = ("GNU.sparse.name", Encoding.UTF8.GetBytes(LongName));
        var tar = new RawTar()
            .Pax(CutName, nameFirst ? [real, path] : [path, real])
            .Header('0', string.Empty, 2, patch: RawTar.RawName(CutName[5..])).Data("sp"u8.ToArray());

        var published = await PublishAsync(tar.TarGz());

        Assert.Equal("sp", File.ReadAllText(Path.Join(published, LongName)));
        Assert.False(Path.Exists(Path.Join(published, "GNUSparseFile.0")));
    }

    [Fact]
    public async Task A_sparse_1_0_map_fault_names_the_real_name_not_the_made_up_one()
    {
        var tar = new RawTar()
            .Pax(CutName, [("GNU.sparse.major", "1"u8.ToArray()), ("GNU.sparse.minor", "0"u8.ToArray()), ("path", "GNUSparseFile.7/real.img"u8.ToArray()), ("GNU.sparse.name", "real.img"u8.ToArray()), ("GNU.sparse.realsize", "10"u8.ToArray())])
            .Header('0', "GNUSparseFile.7/real.img", 4).Data("1\n0\n"u8.ToArray());

        var error = await _harness.FailsAsync(_harness.FileBundle("map", tar.TarGz(), BundleFormat.TarGz));

        Assert.Equal(FailureKind.BundleIntegrity, error.Kind);
        Assert.Contains("the sparse map of 'real.img' runs past its data", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("GNUSparseFile", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_PAX_sparse_map_over_the_range_limit_is_refused_naming_the_real_name()
    {
        var map = string.Join(',', Enumerable.Range(0, 100_001).Select(i => $"{2 * i},1"));
        var tar = new RawTar()
            .Pax(CutName, [("GNU.sparse.size", "300000"u8.ToArray()), ("GNU.sparse.map", Encoding.ASCII.GetBytes(map)), ("path", "GNUSparseFile.7/many.img"u8.ToArray()), ("GNU.sparse.name", "many.img"u8.ToArray())])
            .Header('0', "GNUSparseFile.7/many.img", 0);

        var error = await _harness.FailsAsync(_harness.FileBundle("many", tar.TarGz(), BundleFormat.TarGz));

        Assert.Equal(FailureKind.BundleUnsupported, error.Kind);
        Assert.Contains("entry 'many.img' refused: a sparse file with more than 100000 data ranges", error.Message, StringComparison.Ordinal);
    }

    private async Task<string> PublishAsync(byte[] archive)
    {
        var spec = _harness.FileBundle("raw", archive, BundleFormat.TarGz);
        _harness.Cache.PrepareRoot([spec]);
        return (await _harness.Cache.PrepareAsync(spec, CancellationToken.None)).PublishedPath;
    }

    private static void Base256(byte[] h, int at, int width, long value)
    {
        Array.Clear(h, at, width);
        h[at] = 0x80;
        for (var i = at + width - 1; value > 0; i--, value >>= 8)
        {
            h[i] = (byte)value;
        }
    }
}
