using System.Text.Json;
using ExtensionCache.IntegrationTests.Fixtures;
using ExtensionCache.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace ExtensionCache.IntegrationTests.EndToEnd;

/// <summary>
/// The .NET sample function with the real layer against s3rver: cold start, warm invokes, a reset that keeps /tmp,
/// a new environment, and overlap mode.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class SampleFunctionTests(LayerFixture layer, S3ServerFixture s3, ITestOutputHelper output)
    : EndToEndTestBase(layer, s3, output)
{
    [Fact]
    public async Task Cold_start_downloads_once_and_warm_invokes_reuse_the_loaded_bundle()
    {
        var bundle = await UploadSampleBundleAsync();
        var tmp = NewTmp("env");

        var run = await Emulator.RunAsync(SampleFunctionRequest(
            tmp, BundleEnvironment($"sample={bundle.Uri}"), """{"name":"cold"}""", "{}", "{}", "{}"));

        Assert.True(run.ExitCode == 0, $"emulator exit code {run.ExitCode}");
        var answers = run.Responses;
        Assert.Equal(4, answers.Count);
        AssertCameFromBundle(answers, bundle, tmp, expectReused: false);
        Assert.Equal("Hello, cold, from the bundle!", answers[0].GetProperty("greeting").GetString());
        Assert.Equal([1, 2, 3, 4], answers.Select(a => a.GetProperty("invocationCount").GetInt32()));
        Assert.Single(answers.Select(a => a.GetProperty("pid").GetInt32()).Distinct());
        Assert.Single(answers.Select(a => a.GetProperty("assemblyLocation").GetString()).Distinct());
        Assert.False(File.Exists(Path.Combine(Layout.SampleFunctionDirectory, "Greeter.dll")), "the function must not ship Greeter.dll itself");

        // Downloaded once, during INIT: s3rver sent the object's bytes once (plus at most the extension's
        // small tail probe), not once per invoke.
        LogS3Requests(bundle);
        var served = S3.BytesServed(bundle.Key);
        Assert.InRange(served, bundle.Size * 99 / 100, (bundle.Size * 2) - 1);
        Assert.Contains(run.ExtensionLines, l => l.Contains("fetching", StringComparison.Ordinal) && l.Contains("bundle=sample", StringComparison.Ordinal));

        // before-register (the default): published before register, so before the runtime even started.
        Assert.True(
            LineIndex(run, "published bundle=sample") < LineIndex(run, "registered"),
            "in before-register mode the extension publishes before it registers");

        // Published as the contract says: a link to a complete folder, its manifest, and a ready status.
        var published = Path.Combine(tmp, "extension-cache", "sample");
        Assert.NotNull(new DirectoryInfo(published).LinkTarget);
        Assert.True(File.Exists(Path.Combine(published, ".extension-cache-manifest.json")));
        using var status = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(tmp, "extension-cache", ".status", "sample.json")));
        Assert.Equal("ready", status.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Reset_with_surviving_tmp_reuses_the_bundle_without_downloading()
    {
        var bundle = await UploadSampleBundleAsync();
        var tmp = NewTmp("env");
        var environment = BundleEnvironment($"sample={bundle.Uri}");

        var first = await Emulator.RunAsync(SampleFunctionRequest(tmp, environment));
        Assert.True(first.ExitCode == 0, $"first run: emulator exit code {first.ExitCode}");
        var servedAfterFirst = S3.BytesServed(bundle.Key);
        Assert.True(servedAfterFirst >= bundle.Size * 99 / 100, $"the first INIT should have downloaded the bundle ({servedAfterFirst} of {bundle.Size} bytes served)");

        // A new INIT over the same /tmp is what a sandbox reset looks like to the extension.
        var second = await Emulator.RunAsync(SampleFunctionRequest(tmp, environment, "{}", "{}"));

        Assert.True(second.ExitCode == 0, $"second run: emulator exit code {second.ExitCode}");
        AssertCameFromBundle(second.Responses, bundle, tmp, expectReused: true);
        Assert.NotEqual(first.Responses[0].GetProperty("pid").GetInt32(), second.Responses[0].GetProperty("pid").GetInt32());
        LogS3Requests(bundle);
        // The extension may probe the source to decide (a small ranged GET), but must not fetch the object again.
        var servedForReuse = S3.BytesServed(bundle.Key) - servedAfterFirst;
        Assert.True(servedForReuse < bundle.Size / 2, $"the reset fetched {servedForReuse} bytes of a {bundle.Size}-byte bundle");
        Assert.DoesNotContain(second.ExtensionLines, l => l.Contains("fetching", StringComparison.Ordinal));
        // The extension says it reused the bundle (and why), not that it fetched it.
        Assert.Contains(second.ExtensionLines, l => IsReuseDecision(l) && l.Contains("sample", StringComparison.Ordinal));
        Assert.DoesNotContain(second.ExtensionLines, l => l.Contains("not reusing", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task New_environment_downloads_again()
    {
        var bundle = await UploadSampleBundleAsync();
        var environment = BundleEnvironment($"sample={bundle.Uri}");

        var first = await Emulator.RunAsync(SampleFunctionRequest(NewTmp("env-a"), environment));
        Assert.True(first.ExitCode == 0, $"first run: emulator exit code {first.ExitCode}");
        var servedAfterFirst = S3.BytesServed(bundle.Key);

        var freshTmp = NewTmp("env-b");
        var second = await Emulator.RunAsync(SampleFunctionRequest(freshTmp, environment));

        Assert.True(second.ExitCode == 0, $"second run: emulator exit code {second.ExitCode}");
        AssertCameFromBundle(second.Responses, bundle, freshTmp, expectReused: false);
        LogS3Requests(bundle);
        var servedForSecond = S3.BytesServed(bundle.Key) - servedAfterFirst;
        Assert.True(servedForSecond >= bundle.Size * 99 / 100, $"a new environment must download again ({servedForSecond} of {bundle.Size} bytes served)");
    }

    [Fact]
    public async Task Overlap_mode_gives_the_same_results()
    {
        var bundle = await UploadSampleBundleAsync();
        var tmp = NewTmp("env");

        var run = await Emulator.RunAsync(SampleFunctionRequest(
            tmp, BundleEnvironment($"sample={bundle.Uri}", ("EXTENSION_CACHE_MODE", "overlap")), "{}", "{}", "{}"));

        Assert.True(run.ExitCode == 0, $"emulator exit code {run.ExitCode}");
        // Overlap: the extension registered (letting the runtime start) before the bundle was published.
        Assert.True(
            LineIndex(run, "registered") < LineIndex(run, "published bundle=sample"),
            "in overlap mode the extension registers before it publishes");
        AssertCameFromBundle(run.Responses, bundle, tmp, expectReused: false);
        Assert.Equal([1, 2, 3], run.Responses.Select(a => a.GetProperty("invocationCount").GetInt32()));
        Assert.Single(run.Responses.Select(a => a.GetProperty("pid").GetInt32()).Distinct());
    }

    /// <summary>Where the extension's line starting with <paramref name="step"/> is in the output (stdout keeps its order).</summary>
    private static int LineIndex(EmulatorResult run, string step)
    {
        var index = run.Lines.ToList().FindIndex(l => l.StartsWith($"{EmulatorResult.ExtensionPrefix} {step}", StringComparison.Ordinal));
        Assert.True(index >= 0, $"no '{EmulatorResult.ExtensionPrefix} {step}' line");
        return index;
    }

    private static bool IsReuseDecision(string line) =>
        (line.Contains("reusing", StringComparison.OrdinalIgnoreCase) || line.Contains("reuse", StringComparison.OrdinalIgnoreCase))
        && !line.Contains("not reusing", StringComparison.OrdinalIgnoreCase);

    /// <summary>Every answer proves the greeting ran from Greeter.dll inside the published bundle.</summary>
    private static void AssertCameFromBundle(IReadOnlyList<JsonElement> answers, UploadedBundle bundle, string tmp, bool expectReused)
    {
        Assert.NotEmpty(answers);
        var bundlePath = Path.Combine(tmp, "extension-cache", "sample");
        foreach (var answer in answers)
        {
            Assert.Equal(bundlePath, answer.GetProperty("bundlePath").GetString());
            var location = answer.GetProperty("assemblyLocation").GetString()!;
            Assert.StartsWith(bundlePath + "/", location, StringComparison.Ordinal);
            Assert.EndsWith("/Greeter.dll", location, StringComparison.Ordinal);
            Assert.EndsWith("from the bundle!", answer.GetProperty("greeting").GetString(), StringComparison.Ordinal);
            Assert.Equal(expectReused, answer.GetProperty("bundleReused").GetBoolean());
            var manifest = answer.GetProperty("manifest");
            Assert.Equal(bundle.Uri, manifest.GetProperty("source").GetString());
            Assert.Equal(bundle.Sha256, manifest.GetProperty("sha256").GetString());
            Assert.Equal(2, manifest.GetProperty("files").GetInt64());
            Assert.False(string.IsNullOrEmpty(manifest.GetProperty("version").GetString()));
        }
    }
}
