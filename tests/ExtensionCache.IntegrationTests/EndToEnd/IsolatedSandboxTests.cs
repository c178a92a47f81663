using ExtensionCache.IntegrationTests.Fixtures;
using Xunit.Abstractions;

namespace ExtensionCache.IntegrationTests.EndToEnd;

/// <summary>
/// The happy path under <c>--isolate</c> (bubblewrap): the extension and the function see the real /opt and /tmp,
/// so the default root <c>/tmp/extension-cache</c> is used with no TMPDIR indirection.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class IsolatedSandboxTests(LayerFixture layer, S3ServerFixture s3, ITestOutputHelper output)
    : EndToEndTestBase(layer, s3, output)
{
    [Fact]
    public async Task Isolated_sandbox_uses_the_real_tmp_path()
    {
        var bundle = await UploadSampleBundleAsync();
        var tmp = NewTmp("env");

        var run = await Emulator.RunAsync(SampleFunctionRequest(tmp, BundleEnvironment($"sample={bundle.Uri}"), "{}", "{}") with
        {
            Isolate = true,
        });

        Assert.True(run.ExitCode == 0, $"emulator exit code {run.ExitCode}");
        Assert.Equal(2, run.Responses.Count);
        foreach (var answer in run.Responses)
        {
            Assert.Equal("/tmp/extension-cache/sample", answer.GetProperty("bundlePath").GetString());
            Assert.Equal("/tmp/extension-cache/sample/Greeter.dll", answer.GetProperty("assemblyLocation").GetString());
            Assert.Equal(bundle.Sha256, answer.GetProperty("manifest").GetProperty("sha256").GetString());
        }

        // The sandbox's /tmp is the host folder given with --tmp.
        Assert.True(File.Exists(Path.Combine(tmp, "extension-cache", "sample", "Greeter.dll")));
    }
}
