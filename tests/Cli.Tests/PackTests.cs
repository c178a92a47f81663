using System.Security.Cryptography;
using ExtensionCache.Cli.Packing;
using ExtensionCache.Extension.Configuration;

namespace ExtensionCache.Cli.Tests;

public sealed class PackTests
{
    [Theory]
    [InlineData("zip")]
    [InlineData("tar.gz")]
    [InlineData("tar.zst")]
    public async Task Packing_the_same_tree_twice_gives_the_same_sha256(string format)
    {
        using var temp = new TempDirectory();
        var tree = await Trees.PythonAsync(temp.Path);
        var first = temp.Combine("first." + format);
        var second = temp.Combine("second." + format);

        (await CliRun.RunAsync("pack", tree, "-o", first)).EnsureSucceeded();
        foreach (var file in Directory.EnumerateFiles(tree, "*", SearchOption.AllDirectories))
        {
            File.SetLastAccessTimeUtc(file, DateTime.UtcNow);
        }

        (await CliRun.RunAsync("pack", tree, "-o", second)).EnsureSucceeded();

        Assert.Equal(Sha256(first), Sha256(second));
    }

    [Theory]
    [InlineData(BundleFormat.Zip)]
    [InlineData(BundleFormat.TarGz)]
    [InlineData(BundleFormat.TarZst)]
    public async Task Every_tree_unpacks_with_the_extension_exactly_as_it_was(BundleFormat format)
    {
        using var temp = new TempDirectory();
        var trees = new[]
        {
            await Trees.PythonAsync(temp.Path),
            Trees.BinaryHeavy(temp.Path),
            Path.Join(RepositoryRoot.TestsNodeModules, "s3rver"),
        };
        foreach (var tree in trees)
        {
            var archive = temp.Combine(Path.GetFileName(tree) + "." + Packer.ExtensionOf(format));
            await Packer.PackAsync(tree, archive, format, null, CancellationToken.None);
            var unpacked = temp.Combine("out-" + Path.GetFileName(tree));

            await Unpacker.UnpackAsync(archive, format, unpacked);

            Unpacker.AssertSameTree(tree, unpacked);
        }
    }

    [Fact]
    public async Task Compressed_and_random_content_is_stored_and_text_is_deflated()
    {
        using var temp = new TempDirectory();
        var tree = Trees.BinaryHeavy(temp.Path);
        var archive = temp.Combine("b.zip");
        await Packer.PackAsync(tree, archive, BundleFormat.Zip, null, CancellationToken.None);

        using var zip = System.IO.Compression.ZipFile.OpenRead(archive);
        var sizes = zip.Entries.ToDictionary(e => e.FullName, e => (e.Length, e.CompressedLength));
        Assert.Equal(sizes["lib/blob.so"].Length, sizes["lib/blob.so"].CompressedLength);
        Assert.Equal(sizes["lib/model.gz"].Length, sizes["lib/model.gz"].CompressedLength);
        Assert.True(sizes["notes.txt"].CompressedLength < sizes["notes.txt"].Length / 10);
    }

    [Fact]
    public async Task Pyc_headers_stay_valid_with_mtimes_kept_and_with_mtime_clamped()
    {
        using var temp = new TempDirectory();
        var tree = await Trees.PythonAsync(temp.Path);
        Assert.NotEmpty(Trees.PycHeaders(tree));
        foreach (var clamp in new long?[] { null, 1_700_000_000 })
        {
            var archive = temp.Combine($"py-{clamp}.zip");
            string[] arguments = clamp is { } c ? ["pack", tree, "-o", archive, "--mtime", c.ToString(System.Globalization.CultureInfo.InvariantCulture)] : ["pack", tree, "-o", archive];
            (await CliRun.RunAsync(arguments)).EnsureSucceeded();
            var unpacked = temp.Combine($"out-{clamp}");
            await Unpacker.UnpackAsync(archive, BundleFormat.Zip, unpacked);

            var headers = Trees.PycHeaders(unpacked);
            Assert.Equal(3, headers.Count);
            foreach (var (pyc, recordedMtime, recordedSize, sourceMtime, sourceSize) in headers)
            {
                Assert.True(recordedMtime == (uint)sourceMtime, $"{pyc}: records mtime {recordedMtime}, source has {sourceMtime}");
                Assert.Equal((uint)sourceSize, recordedSize);
                Assert.True(clamp is null || sourceMtime <= clamp);
            }

            // Python's own check (importlib's _validate_timestamp_pyc) accepts every one of them.
            var check = CliRun.Python("-B", "-c", "import sys, os, importlib.util as u, importlib._bootstrap_external as b\nsys.path.insert(0, sys.argv[1])\nfor m in ('pkg', 'pkg.util', 'handler'):\n    s = u.find_spec(m); st = os.stat(s.origin)\n    b._validate_timestamp_pyc(open(s.cached, 'rb').read(), int(st.st_mtime), st.st_size, m, {})\nprint('valid')", unpacked);
            var result = await ChildProcess.RunAsync(check, TimeSpan.FromMinutes(1));
            result.EnsureSucceeded();
            Assert.Contains("valid", result.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_tree_with_a_fifo_and_a_link_leaving_it_is_refused_by_path_and_rule_and_nothing_is_written()
    {
        using var temp = new TempDirectory();
        var tree = temp.Combine("tree");
        Directory.CreateDirectory(tree);
        await File.WriteAllTextAsync(Path.Join(tree, "ok.txt"), "fine");
        (await ChildProcess.RunAsync(ChildProcess.Info("mkfifo", Path.Join(tree, "pipe")), TimeSpan.FromSeconds(30))).EnsureSucceeded();
        File.CreateSymbolicLink(Path.Join(tree, "escape"), "../../etc/passwd");
        File.CreateSymbolicLink(Path.Join(tree, "absolute"), "/etc");
        var output = temp.Combine("out.zip");

        var result = await CliRun.RunAsync("pack", tree, "-o", output);

        Assert.Equal(ExitCodes.Refused, result.ExitCode);
        Assert.Contains("'pipe' refused: fifo entries are not allowed", result.Output, StringComparison.Ordinal);
        Assert.Contains("'escape' refused: symlink target '../../etc/passwd' leaves the bundle", result.Output, StringComparison.Ordinal);
        Assert.Contains("'absolute' refused: symlink target '/etc' is absolute", result.Output, StringComparison.Ordinal);
        CliRun.AssertNoStackTrace(result);
        Assert.Equal(["tree"], Directory.EnumerateFileSystemEntries(temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_tree_over_the_entry_cap_or_with_a_reserved_name_is_refused()
    {
        using var temp = new TempDirectory();
        var tree = temp.Combine("tree");
        Directory.CreateDirectory(tree);
        await File.WriteAllTextAsync(Path.Join(tree, ".extension-cache-manifest.json"), "{}");
        await File.WriteAllTextAsync(Path.Join(tree, "a"), "a");
        await File.WriteAllTextAsync(Path.Join(tree, "b"), "b");

        var error = Assert.Throws<PackRefusedException>(() => TreeScanner.Scan(tree, maxBytes: 1_000, maxEntries: 1));

        Assert.Contains(error.Refusals, r => r.Contains("reserved", StringComparison.Ordinal));
        Assert.Contains(error.Refusals, r => r.Contains("more than 1 entries", StringComparison.Ordinal) && r.Contains("Extension.BundleTooLarge", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Hard_links_are_packed_as_copies()
    {
        using var temp = new TempDirectory();
        var tree = temp.Combine("tree");
        Directory.CreateDirectory(tree);
        await File.WriteAllTextAsync(Path.Join(tree, "one.txt"), "shared");
        (await ChildProcess.RunAsync(ChildProcess.Info("ln", Path.Join(tree, "one.txt"), Path.Join(tree, "two.txt")), TimeSpan.FromSeconds(30))).EnsureSucceeded();
        var archive = temp.Combine("h.tar.gz");
        await Packer.PackAsync(tree, archive, BundleFormat.TarGz, null, CancellationToken.None);
        var unpacked = temp.Combine("out");

        await Unpacker.UnpackAsync(archive, BundleFormat.TarGz, unpacked);

        Assert.Equal("shared", await File.ReadAllTextAsync(Path.Join(unpacked, "two.txt")));
    }

    [Theory]
    [InlineData(BundleFormat.Zip)]
    [InlineData(BundleFormat.TarZst)]
    public async Task A_cancelled_pack_leaves_no_file_behind(BundleFormat format)
    {
        using var temp = new TempDirectory();
        var tree = Trees.BinaryHeavy(temp.Path);
        var output = temp.Combine("out");
        Directory.CreateDirectory(output);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Packer.PackAsync(tree, Path.Join(output, "b.zip"), format, null, cancelled.Token));

        Assert.Empty(Directory.EnumerateFileSystemEntries(output));
    }

    private static string Sha256(string file) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)));
}
