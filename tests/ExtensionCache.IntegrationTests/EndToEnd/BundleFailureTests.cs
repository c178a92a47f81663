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
    public async Task Fails_init_with_a_clear_message_and_publishes_nothing(string failure)
    {
        var bundle = await UploadSampleBundleAsync();
        var missingKey = $"missing/{Guid.NewGuid():N}.zip";
        // What one error line of the extension must say: the bundle or setting, and the cause.
        var (environment, expected) = failure switch
        {
            "missing-object" => (BundleEnvironment($"sample=s3://{S3ServerFixture.Bucket}/{missingKey}"), new[] { "sample", missingKey }),
            "bad-uri" => (BundleEnvironment("sample=ftp://example.invalid/bundle.zip"), ["EXTENSION_CACHE_BUNDLES", "sample", "ftp"]),
            "wrong-sha256" => (BundleEnvironment($"sample={bundle.Uri}#sha256={new string('0', 64)}"), ["sample", "sha256"]),
            "bad-bundle-list" => (BundleEnvironment("sample"), ["EXTENSION_CACHE_BUNDLES", "sample"]),
            "bad-mode" => (BundleEnvironment($"sample={bundle.Uri}", ("EXTENSION_CACHE_MODE", "sideways")), ["EXTENSION_CACHE_MODE", "sideways"]),
            _ => throw new ArgumentOutOfRangeException(nameof(failure), failure, null),
        };
        var tmp = NewTmp("env");

        var run = await Emulator.RunAsync(SampleFunctionRequest(tmp, environment));

        Assert.NotEqual(0, run.ExitCode);
        Assert.Empty(run.Responses);
        var errorLines = run.ExtensionLines.Where(IsErrorLine).ToList();
        Assert.Contains(errorLines, l => expected.All(e => l.Contains(e, StringComparison.Ordinal)));
        // INIT failed with an Extension.* error type (the platform's report), and the caller's error says why.
        Assert.Contains(run.Lines, l => l.StartsWith("INIT_REPORT", StringComparison.Ordinal) && l.Contains("Error Type: Extension.", StringComparison.Ordinal));
        var error = Assert.Single(run.ErrorBodies);
        Assert.StartsWith("Extension.", error.GetProperty("errorType").GetString(), StringComparison.Ordinal);
        Assert.Contains(expected[0], error.GetProperty("errorMessage").GetString(), StringComparison.Ordinal);
        Assert.Empty(PublishedEntries(tmp, "sample"));
    }

    [Fact]
    public async Task With_on_error_continue_the_function_reads_the_failure_from_the_status_file()
    {
        var tmp = NewTmp("env");
        var environment = BundleEnvironment(
            $"sample=s3://{S3ServerFixture.Bucket}/missing/{Guid.NewGuid():N}.zip", ("EXTENSION_CACHE_ON_ERROR", "continue"));

        var run = await Emulator.RunAsync(SampleFunctionRequest(tmp, environment));

        // The extension let INIT go on; the sample function's client helper turned the recorded failure into
        // its own init error, naming the bundle, the status file and the extension's error type.
        Assert.NotEqual(0, run.ExitCode);
        var error = Assert.Single(run.ErrorBodies);
        Assert.Equal("BundleFailedException", error.GetProperty("errorType").GetString());
        var message = error.GetProperty("errorMessage").GetString()!;
        Assert.Contains("'sample'", message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(tmp, "extension-cache", ".status", "sample.json"), message, StringComparison.Ordinal);
        Assert.Contains("Extension.", message, StringComparison.Ordinal);
        Assert.DoesNotContain(run.Lines, l => l.StartsWith("INIT_REPORT", StringComparison.Ordinal) && l.Contains("Error Type: Extension.", StringComparison.Ordinal));
        using var status = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Path.Combine(tmp, "extension-cache", ".status", "sample.json")));
        Assert.Equal("failed", status.RootElement.GetProperty("status").GetString());
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
