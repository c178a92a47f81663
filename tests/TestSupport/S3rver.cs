using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace ExtensionCache.TestSupport;

/// <summary>How the server answers a suffix range (<c>Range: bytes=-N</c>).</summary>
public enum SuffixRanges
{
    /// <summary>The last N bytes, as real S3 does (s3rver-host.js adds this to s3rver).</summary>
    AsRealS3,

    /// <summary>The first N+1 bytes, as s3rver 3.7.1 does by itself.</summary>
    AsS3rver,
}

/// <summary>
/// A real S3 API: s3rver (pinned in tests/package.json, installed by <c>npm ci --prefix tests</c>) started through
/// <c>s3rver-host.js</c> on a loopback port it picks itself (port 0, so no port race), with one bucket and its data
/// in a temp folder. Its request log is kept so tests can tell how many bytes of an object were served.
/// </summary>
public sealed partial class S3rver : IAsyncDisposable
{
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";
    public const string Region = "us-east-1";

    // node and s3rver start in about a second, several with every core busy: only a server that never listens reaches this.
    private static readonly TimeSpan StartTimeout = Generous.Wait;
    private readonly TempDirectory _data;
    private readonly ProcessStartInfo _start;
    private readonly ConcurrentQueue<string> _requests = new();
    private readonly TaskCompletionSource<int> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ChildProcess? _process;
    private AmazonS3Client? _client;

    private S3rver(string bucket, TempDirectory data, ProcessStartInfo start)
    {
        Bucket = bucket;
        _data = data;
        _start = start;
    }

    public string Bucket { get; }

    public Uri Endpoint { get; private set; } = new("http://127.0.0.1");

    /// <summary>The variables that point the extension's S3 client at this server.</summary>
    public IReadOnlyDictionary<string, string> ExtensionEnvironment => new Dictionary<string, string>
    {
        ["AWS_ENDPOINT_URL_S3"] = Endpoint.ToString().TrimEnd('/'),
        ["AWS_ACCESS_KEY_ID"] = AccessKey,
        ["AWS_SECRET_ACCESS_KEY"] = SecretKey,
        ["AWS_REGION"] = Region,
    };

    /// <summary>A client for fixture uploads: path style, and no aws-chunked framing (s3rver would store it as data).</summary>
    public AmazonS3Client Client => _client ?? throw new InvalidOperationException("s3rver is not started.");

    public static async Task<S3rver> StartAsync(string bucket, SuffixRanges suffixRanges = SuffixRanges.AsRealS3)
    {
        if (!File.Exists(Path.Join(RepositoryRoot.TestsNodeModules, "s3rver", "package.json")))
        {
            throw new InvalidOperationException($"s3rver is missing from {RepositoryRoot.TestsNodeModules}: run `npm ci --prefix tests` first.");
        }

        var data = new TempDirectory("s3rver");
        var start = new ProcessStartInfo("node") { WorkingDirectory = Path.Join(RepositoryRoot.Path, "tests") };
        start.ArgumentList.Add(Path.Join(RepositoryRoot.Path, "tests", "TestSupport", "s3rver-host.js"));
        start.ArgumentList.Add(data.Path);
        start.ArgumentList.Add(bucket);
        if (suffixRanges == SuffixRanges.AsS3rver)
        {
            start.ArgumentList.Add("as-s3rver");
        }

        // s3rver's request log drops the method and path unless koa-logger believes it writes to a colour terminal.
        start.Environment["FORCE_COLOR"] = "1";
        var server = new S3rver(bucket, data, start);
        try
        {
            await server.StartAsync().ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Uploads a file under a key and returns its <c>s3://</c> URI.</summary>
    public async Task<string> UploadAsync(string key, string file)
    {
        await Client.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = key, FilePath = file, UseChunkEncoding = false }).ConfigureAwait(false);
        return $"s3://{Bucket}/{key}";
    }

    /// <summary>Uploads bytes under a key and returns its <c>s3://</c> URI.</summary>
    public async Task<string> UploadAsync(string key, byte[] content)
    {
        using var stream = new MemoryStream(content);
        await Client.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = key, InputStream = stream, UseChunkEncoding = false }).ConfigureAwait(false);
        return $"s3://{Bucket}/{key}";
    }

    /// <summary>The requests s3rver served for an object (from its log), oldest first.</summary>
    public IReadOnlyList<S3Request> RequestsFor(string key) =>
        [.. _requests
            .Select(r => RequestLine().Match(r))
            .Where(m => m.Success && m.Groups["path"].Value.Split('?')[0] == $"/{Bucket}/{key}")
            .Select(m => new S3Request(m.Groups["method"].Value, int.Parse(m.Groups["status"].Value, CultureInfo.InvariantCulture), ParseLength(m.Groups["length"].Value)))];

    /// <summary>Body bytes s3rver sent for successful GETs of an object (approximate: its log rounds to 0.01 kb).</summary>
    public long BytesServed(string key) =>
        RequestsFor(key).Where(r => r.Method == "GET" && r.Status is >= 200 and < 300).Sum(r => r.Bytes ?? 0);

    public async ValueTask DisposeAsync()
    {
        _client?.Dispose();
        if (_process is not null)
        {
            await _process.DisposeAsync().ConfigureAwait(false);
        }

        _data.Dispose();
    }

    private async Task StartAsync()
    {
        _process = ChildProcess.Start(_start, OnLine, OnLine);

        var port = await _listening.Task.WaitAsync(StartTimeout).ConfigureAwait(false);
        Endpoint = new Uri($"http://127.0.0.1:{port}/");
        _client = new AmazonS3Client(
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
        await _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket }).ConfigureAwait(false);
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        var plain = AnsiEscape().Replace(line, string.Empty);
        if (ListeningLine().Match(plain) is { Success: true } m)
        {
            _listening.TrySetResult(int.Parse(m.Groups["port"].Value, CultureInfo.InvariantCulture));
        }
        else
        {
            _requests.Enqueue(plain);
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
