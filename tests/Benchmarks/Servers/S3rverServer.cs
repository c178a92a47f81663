using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using ExtensionCache.Benchmarks.Bundles;
using ExtensionCache.Benchmarks.Processes;

namespace ExtensionCache.Benchmarks.Servers;

/// <summary>s3rver (tests/package.json) on a free loopback port, holding the bundles in bucket "bench".</summary>
public sealed class S3rverServer : IAsyncDisposable
{
    public const string Bucket = "bench";
    public const string AccessKey = "S3RVER";
    public const string Region = "us-east-1";

    private readonly ChildProcess _process;
    private readonly string _directory;
    private readonly AmazonS3Client _client;

    private S3rverServer(ChildProcess process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
        _client = new AmazonS3Client(new BasicAWSCredentials(AccessKey, AccessKey), new AmazonS3Config
        {
            ServiceURL = Endpoint,
            ForcePathStyle = true,
            AuthenticationRegion = Region,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            Timeout = TimeSpan.FromMinutes(5),
        });
    }

    public int Port { get; }

    public string Endpoint => $"http://127.0.0.1:{Port}";

    public static async Task<S3rverServer> StartAsync(string repoRoot, CancellationToken cancellationToken)
    {
        var script = Path.Combine(repoRoot, "tests", "node_modules", "s3rver", "bin", "s3rver.js");
        if (!File.Exists(script))
        {
            Console.WriteLine("tests/node_modules is missing: npm ci --prefix tests");
            await ChildProcess.RunAsync(ChildProcess.Info("npm", "ci", "--prefix", Path.Combine(repoRoot, "tests")), TimeSpan.FromMinutes(5), cancellationToken).ConfigureAwait(false);
        }

        var directory = Directory.CreateTempSubdirectory("ec-bench-s3rver-").FullName;
        var port = FreePort.Next();
        var process = ChildProcess.Start(ChildProcess.Info(
            "node", script, "--directory", directory, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--address", "127.0.0.1", "--silent", "--configure-bucket", Bucket));
        var server = new S3rverServer(process, directory, port);
        try
        {
            await FreePort.WaitUntilListeningAsync(port, () => process.HasExited, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is InvalidOperationException or TimeoutException)
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"s3rver did not start: {exception.Message}\n{process.Output}", exception);
        }

        return server;
    }

    public async Task UploadAsync(GeneratedBundle bundle, CancellationToken cancellationToken)
    {
        await _client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = Bucket,
            Key = bundle.Key,
            FilePath = bundle.ZipPath,
            UseChunkEncoding = false,
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A presigned GET, so the naive download is the same single HTTP stream (curl) as against nginx.</summary>
    public string PresignedUrl(GeneratedBundle bundle) => _client.GetPreSignedURL(new GetPreSignedUrlRequest
    {
        BucketName = Bucket,
        Key = bundle.Key,
        Verb = HttpVerb.GET,
        Protocol = Protocol.HTTP,
        Expires = DateTime.UtcNow.AddHours(6),
    });

    public IReadOnlyDictionary<string, string> ExtensionEnvironment() => new Dictionary<string, string>
    {
        ["AWS_ENDPOINT_URL_S3"] = Endpoint,
        ["AWS_ACCESS_KEY_ID"] = AccessKey,
        ["AWS_SECRET_ACCESS_KEY"] = AccessKey,
        ["AWS_REGION"] = Region,
        ["AWS_DEFAULT_REGION"] = Region,
    };

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _process.DisposeAsync().ConfigureAwait(false);
        Directory.Delete(_directory, recursive: true);
    }
}
