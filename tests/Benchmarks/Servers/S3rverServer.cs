using Amazon.S3;
using Amazon.S3.Model;
using ExtensionCache.Benchmarks.Bundles;
using ExtensionCache.TestSupport;

namespace ExtensionCache.Benchmarks.Servers;

/// <summary>The tests' s3rver (answering suffix ranges as real S3 does), holding the bundles in bucket "bench".</summary>
public sealed class S3rverServer : IAsyncDisposable
{
    public const string Bucket = "bench";

    private readonly S3rver _server;

    private S3rverServer(S3rver server) => _server = server;

    public static async Task<S3rverServer> StartAsync(string repoRoot, CancellationToken cancellationToken)
    {
        if (!File.Exists(Path.Combine(repoRoot, "tests", "node_modules", "s3rver", "package.json")))
        {
            Console.WriteLine("tests/node_modules is missing: npm ci --prefix tests");
            (await ChildProcess.RunAsync(ChildProcess.Info("npm", "ci", "--prefix", Path.Combine(repoRoot, "tests")), TimeSpan.FromMinutes(5), cancellationToken: cancellationToken).ConfigureAwait(false)).EnsureSucceeded();
        }

        return new S3rverServer(await S3rver.StartAsync(Bucket).WaitAsync(cancellationToken).ConfigureAwait(false));
    }

    public Task UploadAsync(GeneratedBundle bundle, CancellationToken cancellationToken) =>
        _server.UploadAsync(bundle.Key, bundle.ZipPath).WaitAsync(cancellationToken);

    /// <summary>A presigned GET, so the naive download is the same single HTTP stream (curl) as against nginx.</summary>
    public string PresignedUrl(GeneratedBundle bundle) => _server.Client.GetPreSignedURL(new GetPreSignedUrlRequest
    {
        BucketName = Bucket,
        Key = bundle.Key,
        Verb = HttpVerb.GET,
        Protocol = Protocol.HTTP,
        Expires = DateTime.UtcNow.AddHours(6),
    });

    public IReadOnlyDictionary<string, string> ExtensionEnvironment() => _server.ExtensionEnvironment;

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
