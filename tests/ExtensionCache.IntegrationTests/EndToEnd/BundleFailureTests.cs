using ExtensionCache.IntegrationTests.Fixtures;
using Xunit.Abstractions;

namespace ExtensionCache.IntegrationTests.EndToEnd;

/// <summary>
/// With <c>EXTENSION_CACHE_ON_ERROR=fail</c> (the default) a bundle that cannot be prepared fails INIT with a
/// message naming the bundle or the setting, and nothing is published.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class BundleFailureTests(LayerFixture layer, S3ServerFixture s3, ITestOutputHelper output)
    : EndToEndTestBase(layer, s3, output)
{
    public static TheoryData<string> Cases => ["missing-object", "bad-uri", "wrong-sha256", "bad-bundle-list", "bad-mode"];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task FailsInitWithAClearMessageAndPublishesNothing(string failure)
    {
        var bundle = await UploadSampleBundleAsync();
        var (environment, expected) = failure switch
        {
            "missing-object" => (BundleEnvironment($"sample=s3://{S3ServerFixture.Bucket}/missing/{Guid.NewGuid():N}.zip"), "sample"),
            "bad-uri" => (BundleEnvironment("sample=ftp://example.invalid/bundle.zip"), "sample"),
            "wrong-sha256" => (BundleEnvironment($"sample={bundle.Uri}#sha256={new string('0', 64)}"), "sha256"),
            "bad-bundle-list" => (BundleEnvironment("sample"), "EXTENSION_CACHE_BUNDLES"),
            "bad-mode" => (BundleEnvironment($"sample={bundle.Uri}", ("EXTENSION_CACHE_MODE", "sideways")), "EXTENSION_CACHE_MODE"),
            _ => throw new ArgumentOutOfRangeException(nameof(failure), failure, null),
        };
        var tmp = NewTmp("env");

        var run = await Emulator.RunAsync(SampleFunctionRequest(tmp, environment));

        Assert.NotEqual(0, run.ExitCode);
        Assert.Empty(run.Responses);
        // The extension says what failed, naming the bundle or the setting, and reports an Extension.* error type.
        var errorLines = run.ExtensionLines.Where(IsErrorLine).ToList();
        Assert.NotEmpty(errorLines);
        Assert.Contains(errorLines, l => l.Contains(expected, StringComparison.OrdinalIgnoreCase));
        Assert.Contains(run.Lines, l => l.Contains("Extension.", StringComparison.Ordinal));
        Assert.Empty(PublishedEntries(tmp, "sample"));
    }

    private static bool IsErrorLine(string line) =>
        line.Contains("Extension.", StringComparison.Ordinal)
        || line.Contains("invalid", StringComparison.OrdinalIgnoreCase)
        || line.Contains("failed", StringComparison.OrdinalIgnoreCase);

    private static IEnumerable<string> PublishedEntries(string tmp, string name)
    {
        var root = Path.Combine(tmp, "extension-cache");
        return Directory.Exists(root)
            ? Directory.EnumerateFileSystemEntries(root).Where(e => Path.GetFileName(e) == name)
            : [];
    }
}
