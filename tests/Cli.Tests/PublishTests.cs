using System.Security.Cryptography;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Sources;

namespace ExtensionCache.Cli.Tests;

/// <summary>publish against a real s3rver, read back through the extension's own S3 source and extractor.</summary>
public sealed class PublishTests
{
    [Theory]
    [InlineData("python", "zip")]
    [InlineData("binary", "tar.zst")]
    [InlineData("node", "tar.gz")]
    public async Task A_published_tree_unpacks_from_s3_with_the_extension_exactly_as_it_was(string treeName, string format)
    {
        await using var s3 = await S3rver.StartAsync("bundles");
        using var temp = new TempDirectory();
        var tree = treeName switch
        {
            "python" => await Trees.PythonAsync(temp.Path),
            "binary" => Trees.BinaryHeavy(temp.Path),
            _ => Path.Join(RepositoryRoot.TestsNodeModules, "s3rver"),
        };

        var result = await CliRun.RunAsync(s3.ExtensionEnvironment, "publish", tree, "s3://bundles/layers/", "--name", treeName, "--format", format);

        result.EnsureSucceeded();
        var entry = result.Lines.Single(l => l.StartsWith("EXTENSION_CACHE_BUNDLES=", StringComparison.Ordinal))["EXTENSION_CACHE_BUNDLES=".Length..];
        Assert.Contains("EXTENSION_CACHE_BUNDLES: \"" + entry + "\"", result.Output, StringComparison.Ordinal);
        var errors = new List<string>();
        var spec = Assert.Single(BundleListParser.Parse(entry, errors));
        Assert.Empty(errors);
        var s3Location = Assert.IsType<S3Location>(spec.Location);
        Assert.Matches($"^layers/{treeName}-[0-9a-f]{{16}}\\.{format.Replace(".", "\\.", StringComparison.Ordinal)}$", s3Location.Key);
        Assert.StartsWith(s3Location.Key.Split('-')[^1].Split('.')[0], spec.Sha256, StringComparison.Ordinal);

        using var factory = new BundleSourceFactory(name => s3.ExtensionEnvironment.TryGetValue(name, out var value) ? value : null);
        var unpacked = temp.Combine("published");
        await Unpacker.UnpackAsync(factory.Create(spec), spec.Format, unpacked, spec.Sha256);
        Unpacker.AssertSameTree(tree, unpacked);
    }

    [Fact]
    public async Task Publishing_twice_uploads_once()
    {
        await using var s3 = await S3rver.StartAsync("bundles");
        using var temp = new TempDirectory();
        var tree = Trees.BinaryHeavy(temp.Path);

        var first = await CliRun.RunAsync(s3.ExtensionEnvironment, "publish", tree, "s3://bundles/", "--name", "bin");
        var second = await CliRun.RunAsync(s3.ExtensionEnvironment, "publish", tree, "s3://bundles/", "--name", "bin");

        first.EnsureSucceeded();
        second.EnsureSucceeded();
        Assert.Contains("uploaded s3://bundles/bin-", first.Output, StringComparison.Ordinal);
        Assert.Contains("already there: s3://bundles/bin-", second.Output, StringComparison.Ordinal);
        var key = first.Lines.Single(l => l.StartsWith("uploaded ", StringComparison.Ordinal))["uploaded s3://bundles/".Length..];
        Assert.Single(s3.RequestsFor(key), r => r.Method == "PUT");
    }

    [Fact]
    public async Task A_large_archive_is_uploaded_in_parts_byte_for_byte()
    {
        await using var s3 = await S3rver.StartAsync("bundles");
        using var temp = new TempDirectory();
        var archive = temp.Combine("big.zip");
        var tree = temp.Combine("big");
        Directory.CreateDirectory(tree);
        var noise = new byte[40 * 1024 * 1024];
        new Random(3).NextBytes(noise);
        await File.WriteAllBytesAsync(Path.Join(tree, "noise.bin"), noise);
        (await CliRun.RunAsync("pack", tree, "-o", archive)).EnsureSucceeded();

        var result = await CliRun.RunAsync(s3.ExtensionEnvironment, "publish", archive, "s3://bundles/", "--name", "big");

        result.EnsureSucceeded();
        var key = result.Lines.Single(l => l.StartsWith("uploaded ", StringComparison.Ordinal))["uploaded s3://bundles/".Length..];
        Assert.True(s3.RequestsFor(key).Count(r => r.Method == "PUT") >= 3);
        using var get = await s3.Client.GetObjectAsync("bundles", key);
        await using var body = get.ResponseStream;
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(archive))), Convert.ToHexStringLower(await SHA256.HashDataAsync(body)));
    }

    [Fact]
    public async Task Inspect_over_s3_reads_only_the_central_directory_with_ranged_requests()
    {
        await using var s3 = await S3rver.StartAsync("bundles");
        using var temp = new TempDirectory();
        var tree = Trees.BinaryHeavy(temp.Path);
        var archive = temp.Combine("b.zip");
        (await CliRun.RunAsync("pack", tree, "-o", archive)).EnsureSucceeded();
        var uri = await s3.UploadAsync("b.zip", archive);

        var result = await CliRun.RunAsync(s3.ExtensionEnvironment, "inspect", uri);

        result.EnsureSucceeded();
        Assert.Contains("verdict: accepted", result.Output, StringComparison.Ordinal);
        Assert.Contains("notes.txt", result.Output, StringComparison.Ordinal);
        Assert.True(s3.BytesServed("b.zip") < new FileInfo(archive).Length / 4, $"served {s3.BytesServed("b.zip")} of {new FileInfo(archive).Length}");
    }
}
