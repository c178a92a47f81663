using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using ExtensionCache.IntegrationTests.Infrastructure;

namespace ExtensionCache.IntegrationTests.Fixtures;

/// <summary>
/// A real S3 API: s3rver (pinned in tests/package.json) started by <c>s3rver-host.js</c> (which adds the suffix
/// ranges s3rver lacks) on a loopback port it picks itself (port 0, so no port race), with its data in a temp
/// folder. Its request log is kept so tests can tell how many bytes of an object were served.
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
        if (!File.Exists(Path.Combine(layout.TestsNodeModules, "s3rver", "package.json")))
        {
            throw new InvalidOperationException($"s3rver is missing from {layout.TestsNodeModules}: run `npm ci --prefix tests` first.");
        }

        var script = Path.Combine(layout.Root, "tests", "ExtensionCache.IntegrationTests", "Fixtures", "s3rver-host.js");

        var startInfo = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { script, data.Path, Bucket })
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

    /// <summary>The requests s3rver served for an object (from its log), oldest first.</summary>
    public IReadOnlyList<S3Request> RequestsFor(string key) =>
        [.. requests
            .Select(r => RequestLine().Match(r))
            .Where(m => m.Success && m.Groups["path"].Value.Split('?')[0] == $"/{Bucket}/{key}")
            .Select(m => new S3Request(m.Groups["method"].Value, int.Parse(m.Groups["status"].Value, CultureInfo.InvariantCulture), ParseLength(m.Groups["length"].Value)))];

    /// <summary>Body bytes s3rver sent for successful GETs of an object (approximate: its log rounds to 0.01 kb).</summary>
    public long BytesServed(string key) =>
        RequestsFor(key).Where(r => r.Method == "GET" && r.Status is >= 200 and < 300).Sum(r => r.Bytes ?? 0);

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
            listening.TrySetResult(int.Parse(m.Groups["port"].Value, CultureInfo.InvariantCulture));
        }
        else
        {
            requests.Enqueue(plain);
        }
    }

    // koa-logger prints lengths the way the "bytes" package formats them: 300b, 1.67kb, 256kb, 1.2mb; "-" when unknown.
    private static long? ParseLength(string text)
    {
        var match = LengthText().Match(text);
        if (!match.Success)
        {
            return null;
        }

        var value = double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
        var scale = match.Groups["unit"].Value switch
        {
            "kb" => 1024d,
            "mb" => 1024d * 1024,
            "gb" => 1024d * 1024 * 1024,
            _ => 1d,
        };
        return (long)Math.Round(value * scale);
    }

    [GeneratedRegex(@"^(?<value>\d+(?:\.\d+)?)(?<unit>b|kb|mb|gb)$", RegexOptions.IgnoreCase)]
    private static partial Regex LengthText();

    [GeneratedRegex(@"\x1b\[[0-9;]*m")]
    private static partial Regex AnsiEscape();

    [GeneratedRegex(@"listening on 127\.0\.0\.1:(?<port>\d+)")]
    private static partial Regex ListeningLine();

    [GeneratedRegex(@"info: (?<method>[A-Z]+) (?<path>\S+) (?<status>\d{3}) \S+ (?<length>\S+)")]
    private static partial Regex RequestLine();
}
