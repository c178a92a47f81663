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
