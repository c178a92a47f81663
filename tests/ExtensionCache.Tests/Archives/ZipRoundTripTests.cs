using System.Text;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Tests.Fixtures;

namespace ExtensionCache.Tests.Archives;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ZipRoundTripTests : IDisposable
{
    private readonly CacheHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    public static ArchiveEntry[] NodeModulesLike() =>
    [
        ArchiveEntry.Directory("node_modules/"),
        ArchiveEntry.Directory("node_modules/lodash/"),
        ArchiveEntry.File("node_modules/lodash/package.json", "{\"name\":\"lodash\"}"),
        ArchiveEntry.File("node_modules/lodash/cli.js", "#!/usr/bin/env node\nconsole.log(1)\n", 0x1ED),
        ArchiveEntry.Directory("node_modules/.bin/"),
        ArchiveEntry.Symlink("node_modules/.bin/lodash", "../lodash/cli.js"),
        ArchiveEntry.File("implicit/parent/file.txt", "made without a directory entry"),
        ArchiveEntry.File("empty.txt", []),
        ArchiveEntry.Directory("readonly/", 0x16D),
    ];

    [Fact]
    public async Task Zip_round_trips_content_modes_directories_and_symlinks()
    {
        var spec = _harness.FileBundle("deps", ArchiveBuilder.Zip(NodeModulesLike()));
        _harness.Cache.PrepareRoot([spec]);

        var result = await _harness.Cache.PrepareAsync(spec, CancellationToken.None);

        AssertNodeModulesLike(result.PublishedPath);
        Assert.False(result.Reused);
        Assert.Equal(4, result.Files);
    }

    [Fact]
    public async Task Large_random_and_compressible_files_round_trip_through_small_parts()
    {
        var random = new byte[3_000_000];
        new Random(7).NextBytes(random);
        var text = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("compressible line of text\n", 200_000)));
        var entries = new[] { ArchiveEntry.File("bin/random.bin", random), ArchiveEntry.File("text.txt", text) };
        var zip = ArchiveBuilder.Zip(entries);
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(zip));
        var spec = _harness.FileBundle("big", zip, sha256: sha);
        _harness.Cache.PrepareRoot([spec]);

        var result = await _harness.Cache.PrepareAsync(spec, CancellationToken.None);

        Assert.Equal(random, File.ReadAllBytes(Path.Join(result.PublishedPath, "bin/random.bin")));
        Assert.Equal(text, File.ReadAllBytes(Path.Join(result.PublishedPath, "text.txt")));
        Assert.Equal(sha, result.Sha256);
        Assert.Equal(random.Length + text.Length, result.Bytes);
    }

    [Fact]
    public async Task A_streamed_zip_with_data_descriptors_round_trips()
    {
        var zip = ArchiveBuilder.Zip(NodeModulesLike(), streamed: true);
        Assert.NotEqual(0, zip[ZipOffsets.LocalHeader(zip, "node_modules/lodash/cli.js") + 6] & 0x8);
        var spec = _harness.FileBundle("streamed", zip);
        _harness.Cache.PrepareRoot([spec]);

        var result = await _harness.Cache.PrepareAsync(spec, CancellationToken.None);

        AssertNodeModulesLike(result.PublishedPath);
    }

    [Fact]
    public async Task Stored_entries_round_trip()
    {
        var spec = _harness.FileBundle("stored", ArchiveBuilder.Zip(NodeModulesLike(), System.IO.Compression.CompressionLevel.NoCompression));
        _harness.Cache.PrepareRoot([spec]);

        var result = await _harness.Cache.PrepareAsync(spec, CancellationToken.None);

        AssertNodeModulesLike(result.PublishedPath);
    }

    [Fact]
    public async Task A_zip64_archive_with_more_than_65535_entries_round_trips()
    {
        using var harness = new CacheHarness(new CacheLimits(1L << 30, 100_000, 4, 1 << 20));
        const int Count = 65_600;
        var entries = Enumerable.Range(0, Count).Select(i => ArchiveEntry.File($"d{i % 200}/f{i}", i % 1000 == 0 ? $"file {i}" : string.Empty));
        var zip = ArchiveBuilder.Zip(entries);
        Assert.True(zip.AsSpan().IndexOf((ReadOnlySpan<byte>)[0x50, 0x4b, 0x06, 0x06]) > 0, "the archive has a ZIP64 end record");
        var spec = harness.FileBundle("z64", zip);
        harness.Cache.PrepareRoot([spec]);

        var result = await harness.Cache.PrepareAsync(spec, CancellationToken.None);

        Assert.Equal(Count, result.Files);
        Assert.Equal("file 65000", File.ReadAllText(Path.Join(result.PublishedPath, "d0/f65000")));
    }

    internal static void AssertNodeModulesLike(string root)
    {
        Assert.Equal("{\"name\":\"lodash\"}", File.ReadAllText(Path.Join(root, "node_modules/lodash/package.json")));
        var cli = Path.Join(root, "node_modules/lodash/cli.js");
        Assert.True(File.GetUnixFileMode(cli).HasFlag(UnixFileMode.UserExecute), "exec bit kept");
        Assert.True(File.GetUnixFileMode(cli).HasFlag(UnixFileMode.OtherExecute), "exec bit kept");
        Assert.False(File.GetUnixFileMode(Path.Join(root, "node_modules/lodash/package.json")).HasFlag(UnixFileMode.UserExecute));
        var link = new FileInfo(Path.Join(root, "node_modules/.bin/lodash"));
        Assert.Equal("../lodash/cli.js", link.LinkTarget);
        Assert.StartsWith("#!/usr/bin/env node", File.ReadAllText(link.FullName), StringComparison.Ordinal);
        Assert.Equal("made without a directory entry", File.ReadAllText(Path.Join(root, "implicit/parent/file.txt")));
        Assert.Empty(File.ReadAllBytes(Path.Join(root, "empty.txt")));
        Assert.False(File.GetUnixFileMode(Path.Join(root, "readonly")).HasFlag(UnixFileMode.OtherWrite));
        Assert.True(File.Exists(Path.Join(root, ".extension-cache-manifest.json")));
    }
}
