using ExtensionCache.IntegrationTests.Fixtures;
using ExtensionCache.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace ExtensionCache.IntegrationTests.EndToEnd;

/// <summary>
/// What every end-to-end test needs: the real layer, s3rver, a temp work folder (deleted afterwards) and an
/// emulator runner that logs to the test output.
/// </summary>
public abstract class EndToEndTestBase : IDisposable
{
    protected EndToEndTestBase(LayerFixture layer, S3ServerFixture s3, ITestOutputHelper output)
    {
        Layer = layer;
        S3 = s3;
        Emulator = new EmulatorRunner(Layout, output);
        Output = output;
    }

    protected ITestOutputHelper Output { get; }

    protected static RepositoryLayout Layout => RepositoryLayout.Current;

    protected LayerFixture Layer { get; }

    protected S3ServerFixture S3 { get; }

    protected EmulatorRunner Emulator { get; }

    protected TempDirectory Work { get; } = new("e2e");

    /// <summary>A new sandbox /tmp folder inside the work folder (a new execution environment).</summary>
    protected string NewTmp(string name)
    {
        var path = Work.Combine(name);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Builds the sample bundle and uploads it under a key unique to this test.</summary>
    protected async Task<UploadedBundle> UploadSampleBundleAsync()
    {
        var zip = BundleArchives.CreateSampleBundle(Layout, Work.Path);
        var key = $"sample/{Guid.NewGuid():N}.zip";
        return new UploadedBundle(await S3.UploadAsync(key, zip), key, BundleArchives.Sha256(zip), new FileInfo(zip).Length);
    }

    /// <summary>The environment of a function that uses one bundle: the S3 endpoint, credentials and the bundle list.</summary>
    protected Dictionary<string, string> BundleEnvironment(string bundles, params (string Key, string Value)[] extra)
    {
        var environment = new Dictionary<string, string>(S3.ExtensionEnvironment) { ["EXTENSION_CACHE_BUNDLES"] = bundles };
        foreach (var (key, value) in extra)
        {
            environment[key] = value;
        }

        return environment;
    }

    protected EmulatorRequest SampleFunctionRequest(string tmp, IReadOnlyDictionary<string, string> environment, params string[] invokes) =>
        new()
        {
            Layers = [Layer.LayerZip],
            Function = Layout.SampleFunctionDirectory,
            TmpDirectory = tmp,
            Environment = environment,
            Invokes = invokes.Length > 0 ? invokes : ["{}"],
        };

    /// <summary>Writes what s3rver served for a bundle to the test output, for the reader of a failure.</summary>
    protected void LogS3Requests(UploadedBundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        Output.WriteLine($"s3rver requests for {bundle.Key} ({bundle.Size} bytes): "
            + string.Join(", ", S3.RequestsFor(bundle.Key).Select(r => $"{r.Method} {r.Status} {r.Bytes?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}")));
    }

    public void Dispose()
    {
        Work.Dispose();
        GC.SuppressFinalize(this);
    }
}
