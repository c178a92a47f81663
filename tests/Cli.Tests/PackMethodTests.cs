using ExtensionCache.Cli.Packing;
using ExtensionCache.Extension.Archives;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Sources;

namespace ExtensionCache.Cli.Tests;

/// <summary>
/// <c>pack --method</c>: every method unpacks exactly with the extension and with the other tools that read it
/// (bsdtar; 7-Zip for zstd; unzip for deflate and store), each file gets the method the docs promise, and large
/// files become independent frames with a seek table.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class PackMethodTests
{
    [Theory]
    [InlineData("auto")]
    [InlineData("zstd")]
    [InlineData("deflate")]
    [InlineData("store")]
    public async Task Every_method_unpacks_with_the_extension_and_with_bsdtar_exactly_as_it_was(string method)
    {
        using var temp = new TempDirectory();
        foreach (var tree in new[] { Trees.Mixed(temp.Path), await Trees.PythonAsync(temp.Path) })
        {
            var archive = temp.Combine($"{Path.GetFileName(tree)}-{method}.zip");
            (await CliRun.RunAsync("pack", tree, "-o", archive, "--method", method)).EnsureSucceeded();

            var ours = temp.Combine($"ours-{Path.GetFileName(tree)}-{method}");
            await Unpacker.UnpackAsync(archive, BundleFormat.Zip, ours);
            Unpacker.AssertSameTree(tree, ours);

            var bsdtar = temp.Combine($"bsdtar-{Path.GetFileName(tree)}-{method}");
            Directory.CreateDirectory(bsdtar);
            (await ChildProcess.RunAsync(ChildProcess.Info("bsdtar", "-xf", archive, "-C", bsdtar), TimeSpan.FromMinutes(2))).EnsureSucceeded();
            Unpacker.AssertSameTree(tree, bsdtar);
        }
    }

    [Theory]
    [InlineData("zstd", "7z")]
    [InlineData("deflate", "unzip")]
    [InlineData("store", "unzip")]
    public async Task Seven_zip_opens_zstd_zips_and_unzip_the_deflate_and_stored_ones(string method, string tool)
    {
        using var temp = new TempDirectory();
        var tree = Trees.Mixed(temp.Path);
        var archive = temp.Combine("m.zip");
        await Packer.PackAsync(tree, archive, BundleFormat.Zip, null, CancellationToken.None, ZipMethods.Parse(method));
        var output = temp.Combine("out");
        Directory.CreateDirectory(output);

        var extract = tool == "7z" ? ChildProcess.Info("7z", "x", "-snl", "-o" + output, archive) : ChildProcess.Info("unzip", "-q", archive, "-d", output);
        (await ChildProcess.RunAsync(extract, TimeSpan.FromMinutes(2))).EnsureSucceeded();

        Unpacker.AssertSameTree(tree, output);
    }

    [Fact]
    public async Task Each_method_stores_or_compresses_each_file_as_documented()
    {
        using var temp = new TempDirectory();
        var tree = Trees.Mixed(temp.Path);
        var methods = new Dictionary<string, IReadOnlyDictionary<string, ushort>>();
        foreach (var method in ZipMethods.Names)
        {
            var archive = temp.Combine(method + ".zip");
            await Packer.PackAsync(tree, archive, BundleFormat.Zip, null, CancellationToken.None, ZipMethods.Parse(method));
            methods[method] = (await RecordsAsync(archive)).ToDictionary(r => r.Name, r => r.Method);
        }

        const ushort Stored = 0, Deflate = 8, Zstd = 93;
        Assert.Equal(Zstd, methods["auto"]["lib/text-3mib.js"]);
        Assert.Equal(Zstd, methods["auto"]["lib/large.bin"]);
        Assert.Equal(Stored, methods["auto"]["random.so"]);
        Assert.Equal(Stored, methods["auto"]["model.gz"]);
        Assert.Equal(Stored, methods["auto"]["empty"]);
        Assert.Equal(Stored, methods["auto"]["current"]);
        Assert.Equal(Zstd, methods["zstd"]["random.so"]);
        Assert.Equal(Zstd, methods["zstd"]["model.gz"]);
        Assert.Equal(Stored, methods["zstd"]["empty"]);
        Assert.Equal(Deflate, methods["deflate"]["lib/text-3mib.js"]);
        Assert.Equal(Deflate, methods["deflate"]["lib/large.bin"]); // random first, text after: the probe is spread over the file
        Assert.Equal(Stored, methods["deflate"]["random.so"]);
        Assert.All(methods["store"].Values, m => Assert.Equal(Stored, m));
    }

    [Fact]
    public async Task A_large_file_is_independent_frames_of_one_mebibyte_with_a_seek_table_and_inspect_shows_them()
    {
        using var temp = new TempDirectory();
        var tree = Trees.Mixed(temp.Path);
        var archive = temp.Combine("frames.zip");
        await Packer.PackAsync(tree, archive, BundleFormat.Zip, null, CancellationToken.None);
        var size = new FileInfo(Path.Join(tree, "lib", "large.bin")).Length;
        var expected = (int)((size + ZipZstdEncoder.FrameBytes - 1) / ZipZstdEncoder.FrameBytes);

        var result = await CliRun.RunAsync("inspect", archive, "--entries");

        result.EnsureSucceeded();
        Assert.Matches($@"zstd [\d,]+, {expected} frames \+ seek table\s+lib/large\.bin", result.Output);
        Assert.Matches(@"zstd [\d,]+, 3 frames \+ seek table\s+lib/text-3mib\.js", result.Output);
        Assert.Matches(@"zstd [\d,]+, 1 frame \+ seek table\s+zeros-128k", result.Output);
        Assert.Matches(@"zstd [\d,]+, 1 frame\s+zeros-127k", result.Output);
        Assert.Matches(@"methods: .*zstd 4 \([\d,]+ frames\)", result.Output);
        Assert.Matches(@"methods: .*stored 4", result.Output);
    }

    [Fact]
    public async Task Packing_twice_with_zstd_gives_the_same_bytes()
    {
        using var temp = new TempDirectory();
        var tree = Trees.Mixed(temp.Path);
        await Packer.PackAsync(tree, temp.Combine("a.zip"), BundleFormat.Zip, null, CancellationToken.None, ZipMethod.Zstd);
        await Packer.PackAsync(tree, temp.Combine("b.zip"), BundleFormat.Zip, null, CancellationToken.None, ZipMethod.Zstd);

        Assert.True(File.ReadAllBytes(temp.Combine("a.zip")).AsSpan().SequenceEqual(File.ReadAllBytes(temp.Combine("b.zip"))));
    }

    [Fact]
    public async Task An_unknown_method_is_refused_by_name()
    {
        using var temp = new TempDirectory();
        var result = await CliRun.RunAsync("pack", temp.Path, "-o", temp.Combine("x.zip"), "--method", "lzma");

        Assert.NotEqual(ExitCodes.Ok, result.ExitCode);
        Assert.Contains("lzma", result.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(temp.Combine("x.zip")));
    }

    internal static async Task<IReadOnlyList<ZipEntryRecord>> RecordsAsync(string archive)
    {
        var source = new FileBundleSource(archive);
        var info = await source.ProbeAsync(CancellationToken.None);
        var (records, _, _) = await ZipCentralDirectory.ReadAsync(source, info, new RetryPolicy(TimeProvider.System), 1_000_000, CancellationToken.None);
        return records;
    }
}
