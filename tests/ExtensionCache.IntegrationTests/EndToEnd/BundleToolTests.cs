using System.Text.Json;
using ExtensionCache.IntegrationTests.Fixtures;
using ExtensionCache.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace ExtensionCache.IntegrationTests.EndToEnd;

/// <summary>
/// A folder to a running function: <c>extension-cache-bundle publish</c> packs node_modules/lodash and uploads it to
/// s3rver; the entry it prints is the function's only configuration; the real layer in the emulator unpacks it and
/// the Node function requires lodash from it.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class BundleToolTests(LayerFixture layer, S3ServerFixture s3, ITestOutputHelper output)
    : EndToEndTestBase(layer, s3, output)
{
    [Fact]
    public async Task A_folder_published_by_the_bundle_tool_runs_in_the_function()
    {
        var tree = Path.Combine(Work.Path, "deps");
        CopyTree(Path.Combine(Layout.TestsNodeModules, "lodash"), Path.Combine(tree, "node_modules", "lodash"));
        var configuration = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)));
        var tool = Path.Combine(RepositoryRoot.Path, "cli", "bin", configuration!, "net10.0", "extension-cache-bundle.dll");
        var info = ChildProcess.Info("dotnet", tool, "publish", tree, $"s3://{S3ServerFixture.Bucket}/tool/", "--name", "node-deps");
        foreach (var (name, value) in S3.ExtensionEnvironment)
        {
            info.Environment[name] = value;
        }

        var publish = await ChildProcess.RunAsync(info, Generous.Run);
        publish.EnsureSucceeded();
        var entry = publish.Lines.Single(l => l.StartsWith("EXTENSION_CACHE_BUNDLES=", StringComparison.Ordinal))["EXTENSION_CACHE_BUNDLES=".Length..];
        var tmp = NewTmp("tool");

        var run = await Emulator.RunAsync(new EmulatorRequest
        {
            Layers = [Layer.LayerZip],
            Function = Layout.NodeSampleDirectory,
            TmpDirectory = tmp,
            Environment = BundleEnvironment(entry, ("SAMPLE_BUNDLE", "node-deps")),
            Invokes = ["{}"],
        });

        Assert.True(run.ExitCode == 0, $"emulator exit code {run.ExitCode}");
        var answer = Assert.Single(run.Responses);
        using var package = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Layout.TestsNodeModules, "lodash", "package.json")));
        Assert.Equal(package.RootElement.GetProperty("version").GetString(), answer.GetProperty("lodashVersion").GetString());
        Assert.Equal("[[1,2],[3,4]]", answer.GetProperty("chunked").GetRawText());
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var directory in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, directory)));
        }

        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(to, Path.GetRelativePath(from, file));
            File.Copy(file, copy);
            File.SetLastWriteTimeUtc(copy, File.GetLastWriteTimeUtc(file));
        }
    }
}
