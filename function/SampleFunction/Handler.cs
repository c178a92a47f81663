using System.Text.Json;
using ExtensionCache.Client;
using SampleFunction.BundleCode;
using SampleFunction.Runtime;
using SampleFunction.Serialization;

namespace SampleFunction;

/// <summary>
/// The sample handler: at init it waits for its bundle, loads <c>Greeter.dll</c> from it, and answers every
/// invoke with what it loaded and the bundle's manifest.
/// </summary>
public sealed class Handler : IStreamHandler
{
    public const string BundleVariable = "SAMPLE_BUNDLE";
    public const string DefaultBundle = "sample";
    public const string TimeoutVariable = "SAMPLE_BUNDLE_TIMEOUT_SECONDS";

    private readonly GreeterAssembly greeter;
    private readonly string bundlePath;
    private readonly bool bundleReused;
    private readonly ManifestSummary manifest;
    private int invocationCount;

    private Handler(GreeterAssembly greeter, string bundlePath, bool bundleReused, ManifestSummary manifest)
    {
        this.greeter = greeter;
        this.bundlePath = bundlePath;
        this.bundleReused = bundleReused;
        this.manifest = manifest;
    }

    public static async Task<Handler> CreateAsync(ExtensionCacheClient cache, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cache);
        var name = Environment.GetEnvironmentVariable(BundleVariable) is { Length: > 0 } configured ? configured : DefaultBundle;
        // Under the 10 s INIT limit, so a missing bundle is reported as such rather than as an INIT timeout.
        var timeout = TimeSpan.FromSeconds(
            double.TryParse(Environment.GetEnvironmentVariable(TimeoutVariable), System.Globalization.CultureInfo.InvariantCulture, out var s) ? s : 8);
        var path = await cache.WaitForBundleAsync(name, timeout, cancellationToken).ConfigureAwait(false);
        var m = cache.ReadManifest(name);
        var greeter = GreeterAssembly.Load(path);
        var reused = cache.ReadStatus(name)?.Reused ?? false;
        return new Handler(greeter, path, reused, new ManifestSummary(m.Source, m.Version, m.Sha256, m.Files));
    }

    public async Task<Stream> HandleAsync(Stream input)
    {
        ArgumentNullException.ThrowIfNull(input);
        SampleRequest? request = null;
        if (!input.CanSeek || input.Length > 0)
        {
            request = await JsonSerializer.DeserializeAsync(input, SampleJsonContext.Default.SampleRequest).ConfigureAwait(false);
        }

        var response = new SampleResponse(
            greeter.Hello(request?.Name ?? "world"),
            greeter.Location,
            bundlePath,
            bundleReused,
            manifest,
            Interlocked.Increment(ref invocationCount),
            Environment.ProcessId);
        return new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(response, SampleJsonContext.Default.SampleResponse));
    }
}
