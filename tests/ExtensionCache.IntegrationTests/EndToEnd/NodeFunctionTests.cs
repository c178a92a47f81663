using System.Text.Json;
using ExtensionCache.IntegrationTests.Fixtures;
using ExtensionCache.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace ExtensionCache.IntegrationTests.EndToEnd;

/// <summary>
/// Any runtime: a Node custom runtime with no node_modules of its own requires lodash from a bundle the layer
/// prepared (the "/tmp/node_modules" scenario), in both modes: in overlap mode runtime.js waits for the status file.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class NodeFunctionTests(LayerFixture layer, S3ServerFixture s3, ITestOutputHelper output)
    : EndToEndTestBase(layer, s3, output)
{
    [Theory]
    [InlineData("before-register")]
    [InlineData("overlap")]
    public async Task Node_function_requires_lodash_from_the_bundle(string mode)
    {
        var zip = BundleArchives.CreateNodeBundle(Layout, Work.Path);
        var key = $"node/{Guid.NewGuid():N}.zip";
        var uri = await S3.UploadAsync(key, zip);
        var tmp = NewTmp("env");
        Assert.False(Directory.Exists(Path.Combine(Layout.NodeSampleDirectory, "node_modules")), "the function must not ship lodash itself");

        var run = await Emulator.RunAsync(new EmulatorRequest
        {
            Layers = [Layer.LayerZip],
            Function = Layout.NodeSampleDirectory,
            TmpDirectory = tmp,
            Environment = BundleEnvironment($"node-deps={uri}", ("SAMPLE_BUNDLE", "node-deps"), ("EXTENSION_CACHE_MODE", mode)),
            Invokes = ["{}", "{}"],
        });

        Assert.True(run.ExitCode == 0, $"emulator exit code {run.ExitCode}");
        Assert.Equal(2, run.Responses.Count);
        using var package = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Layout.TestsNodeModules, "lodash", "package.json")));
        var expectedVersion = package.RootElement.GetProperty("version").GetString();
        var root = new DirectoryInfo(Path.Combine(tmp, "extension-cache")).FullName;
        foreach (var answer in run.Responses)
        {
            Assert.Equal(expectedVersion, answer.GetProperty("lodashVersion").GetString());
            var lodashPath = answer.GetProperty("lodashPath").GetString()!;
            Assert.StartsWith(root + "/", lodashPath, StringComparison.Ordinal);
            Assert.EndsWith("/node_modules/lodash/lodash.js", lodashPath, StringComparison.Ordinal);
            Assert.Equal("[[1,2],[3,4]]", answer.GetProperty("chunked").GetRawText());
        }

        Assert.Equal([1, 2], run.Responses.Select(a => a.GetProperty("invocationCount").GetInt32()));
    }
}
