using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using ExtensionCache.IntegrationTests.Infrastructure;

namespace ExtensionCache.IntegrationTests.Fixtures;

/// <summary>
/// A real S3 API: s3rver (pinned in tests/package.json) on a loopback port it picks itself (<c>-p 0</c>, so no
/// port race), with its data in a temp folder. Its request log is kept so tests can count GETs of an object.
/// </summary>
public sealed partial class S3ServerFixture : IAsyncLifetime
{
    public const string Bucket = "bundles";
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";
    public const string Region = "us-east-1";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly TempDirectory data = new("s3rver");
    private readonly ConcurrentQueue<string> requests = new();
    private readonly TaskCompletionSource<int> listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Process? server;
    private AmazonS3Client? client;

    public Uri Endpoint { get; private set; } = new("http://127.0.0.1");

    /// <summary>The variables that point the extension's S3 client at this server.</summary>
    public IReadOnlyDictionary<string, string> ExtensionEnvironment => new Dictionary<string, string>
    {
        ["AWS_ENDPOINT_URL_S3"] = Endpoint.ToString().TrimEnd('/'),
        ["AWS_ACCESS_KEY_ID"] = AccessKey,
        ["AWS_SECRET_ACCESS_KEY"] = SecretKey,
        ["AWS_REGION"] = Region,
    };

    public async Task InitializeAsync()
    {
        var layout = RepositoryLayout.Current;
        var script = Path.Combine(layout.TestsNodeModules, "s3rver", "bin", "s3rver.js");
        if (!File.Exists(script))
        {
            throw new InvalidOperationException($"{script} is missing: run `npm ci` in tests/ first.");
        }

        var startInfo = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { script, "-d", data.Path, "-a", "127.0.0.1", "-p", "0", "--configure-bucket", Bucket })
        {
            startInfo.ArgumentList.Add(arg);
        }

        // s3rver's request log drops the method and path unless koa-logger believes it writes to a colour terminal.
        startInfo.Environment["FORCE_COLOR"] = "1";
        server = new Process { StartInfo = startInfo };
        server.OutputDataReceived += (_, e) => OnLine(e.Data);
        server.ErrorDataReceived += (_, e) => OnLine(e.Data);
        server.Start();
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();

        var port = await listening.Task.WaitAsync(StartTimeout);
        Endpoint = new Uri($"http://127.0.0.1:{port}/");
        client = new AmazonS3Client(
            new BasicAWSCredentials(AccessKey, SecretKey),
            new AmazonS3Config
            {
                ServiceURL = Endpoint.ToString(),
                ForcePathStyle = true,
                AuthenticationRegion = Region,
                // s3rver predates flexible checksums and aws-chunked trailers.
                RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
                ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            });
        // Readiness over HTTP as well: the bucket configured at start must answer.
        await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket });
    }

    /// <summary>Uploads a file under a key and returns its <c>s3://</c> URI.</summary>
    public async Task<string> UploadAsync(string key, string file)
    {
        await Client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = Bucket,
            Key = key,
            FilePath = file,
            UseChunkEncoding = false,
        });
        return $"s3://{Bucket}/{key}";
    }

    /// <summary>How many requests with this method and a 2xx status s3rver served for the object.</summary>
    public int CountRequests(string method, string key) =>
        requests.Count(r => RequestLine().Match(r) is { Success: true } m
            && m.Groups["method"].Value == method
            && m.Groups["path"].Value.Split('?')[0] == $"/{Bucket}/{key}"
            && m.Groups["status"].Value.StartsWith('2'));

    public Task DisposeAsync()
    {
        client?.Dispose();
        if (server is not null)
        {
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
                server.WaitForExit();
            }

            server.Dispose();
        }

        data.Dispose();
        return Task.CompletedTask;
    }

    private AmazonS3Client Client => client ?? throw new InvalidOperationException("s3rver is not started.");

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        var plain = AnsiEscape().Replace(line, string.Empty);
        if (ListeningLine().Match(plain) is { Success: true } m)
        {
            listening.TrySetResult(int.Parse(m.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture));
        }
        else
        {
            requests.Enqueue(plain);
        }
    }

    [GeneratedRegex(@"\x1b\[[0-9;]*m")]
    private static partial Regex AnsiEscape();

    [GeneratedRegex(@"listening on 127\.0\.0\.1:(?<port>\d+)")]
    private static partial Regex ListeningLine();

    [GeneratedRegex(@"info: (?<method>[A-Z]+) (?<path>\S+) (?<status>\d{3})")]
    private static partial Regex RequestLine();
}
