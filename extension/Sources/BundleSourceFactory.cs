using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Failures;

namespace ExtensionCache.Extension.Sources;

/// <summary>
/// Creates sources for <c>s3://</c>, <c>https://</c> (and <c>http://</c>) and <c>file://</c> URIs. The S3 client
/// takes credentials from the key variables (<c>AWS_ACCESS_KEY_ID</c>, <c>AWS_SECRET_ACCESS_KEY</c>,
/// <c>AWS_SESSION_TOKEN</c>) when they are set, else from the container credentials endpoint
/// (<see cref="ContainerCredentials"/>: SnapStart), else from the SDK's default chain; the region from
/// <c>AWS_REGION</c>; and honours <c>AWS_ENDPOINT_URL_S3</c> / <c>AWS_ENDPOINT_URL</c> (path-style) for S3-compatible
/// servers. Every HTTP connection and cached credential, the S3 client's included, belongs to this factory:
/// <see cref="Reset"/> drops them all (after a restore from a snapshot), <see cref="Dispose"/> closes them.
/// Every request's connect is bounded here (<see cref="ConnectTimeout"/>); its first byte by the caller (a probe's
/// timeout, a range's stall timeout).
/// </summary>
public sealed class BundleSourceFactory : IBundleSourceFactory, IDisposable
{
    /// <summary>The longest a connection may take to open.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    private readonly Func<string, string?> _environment;
    private readonly Func<AWSCredentials?>? _credentials;
    private readonly Lock _gate = new();
    private Clients _clients;

    /// <param name="credentials">Overrides how S3 credentials are chosen (tests); null: as the type's summary says.</param>
    public BundleSourceFactory(Func<string, string?>? environment = null, Func<AWSCredentials?>? credentials = null)
    {
        _environment = environment ?? Environment.GetEnvironmentVariable;
        _credentials = credentials;
        _clients = new Clients(this);
    }

    /// <summary>How many times <see cref="Reset"/> has dropped the connections.</summary>
    public int Resets { get; private set; }

    public IBundleSource Create(BundleSpec bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        Clients clients;
        lock (_gate)
        {
            clients = _clients;
        }

        return bundle.Location switch
        {
            FileLocation file => new FileBundleSource(file.Path),
            HttpLocation http => new HttpBundleSource(clients.Http, http.Uri, bundle.DisplaySource),
            S3Location s3 => new S3BundleSource(clients.S3, s3.Bucket, s3.Key, s3.VersionId),
            _ => throw new BundleException(
                FailureKind.BundleUnsupported,
                $"unsupported source scheme '{bundle.Source.Scheme}' (use s3://, https:// or file://)"),
        };
    }

    /// <summary>
    /// Drops every pooled connection and cached credential: the next source gets new clients, a new connection pool
    /// and credentials fetched again. After a restore from a snapshot, a connection pooled before it may be dead
    /// without the socket knowing (a request on it would wait for an answer that never comes), and credentials
    /// fetched before it belong to an old session. A source created before the reset fails its next request.
    /// </summary>
    public void Reset()
    {
        Clients old;
        lock (_gate)
        {
            old = _clients;
            _clients = new Clients(this);
            Resets++;
        }

        old.Dispose();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _clients.Dispose();
        }
    }

    private static HttpClient CreateHttpClient(bool followRedirects) =>
        new(new SocketsHttpHandler
        {
            AllowAutoRedirect = followRedirects,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
            ConnectTimeout = ConnectTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };

    private (AmazonS3Client Client, HttpClient Http) CreateS3Client()
    {
        var region = _environment("AWS_REGION") ?? _environment("AWS_DEFAULT_REGION") ?? "us-east-1";
        var endpoint = _environment("AWS_ENDPOINT_URL_S3") ?? _environment("AWS_ENDPOINT_URL");
        var config = new AmazonS3Config
        {
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,

            // Retries are ours (per part, bounded, with jitter), so the SDK does not multiply them: neither its
            // error retries nor its immediate "stale connection" retries of a reset before the response (without
            // this, one attempt against a server that resets connections became 11 requests).
            MaxErrorRetry = 0,
            MaxStaleConnectionRetries = 0,
        };

        // The SDK's own transport lives in a process-wide static cache that disposing the client leaves open: its
        // idle connections kept the last part buffer each reachable (a socket holds on to the buffer of its last
        // receive), 14-47 MiB of idle RSS after a download. This one is ours to close. Redirects stay the SDK's
        // call (it re-signs them), as they are with its own transport.
        var http = CreateHttpClient(followRedirects: config.AllowAutoRedirect);
        config.HttpClientFactory = new OwnedHttpClientFactory(http);

        if (string.IsNullOrEmpty(endpoint))
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }
        else
        {
            config.ServiceURL = endpoint;
            config.AuthenticationRegion = region;
            config.ForcePathStyle = true;
        }

        var credentials = _credentials is null ? Credentials() : _credentials();
        return (credentials is null ? new AmazonS3Client(config) : new AmazonS3Client(credentials, config), http);
    }

    /// <summary>
    /// The key variables when set (Lambda puts the role's keys there on demand), read through the same environment as
    /// everything else; else the container credentials endpoint (SnapStart); else null: the SDK's default chain.
    /// </summary>
    private AWSCredentials? Credentials()
    {
        var key = _environment("AWS_ACCESS_KEY_ID");
        var secret = _environment("AWS_SECRET_ACCESS_KEY");
        if (!string.IsNullOrEmpty(key) && !string.IsNullOrEmpty(secret))
        {
            var token = _environment("AWS_SESSION_TOKEN");
            return string.IsNullOrEmpty(token) ? new BasicAWSCredentials(key, secret) : new SessionAWSCredentials(key, secret, token);
        }

        return ContainerCredentials.IsConfigured(_environment) ? ContainerCredentials.FromEnvironment(_environment) : null;
    }

    /// <summary>One generation of clients, made on first use; <see cref="Reset"/> replaces it.</summary>
    private sealed class Clients(BundleSourceFactory factory) : IDisposable
    {
        private readonly Lazy<HttpClient> _http = new(() => CreateHttpClient(followRedirects: true));
        private readonly Lazy<(AmazonS3Client Client, HttpClient Http)> _s3 = new(factory.CreateS3Client);

        public HttpClient Http => _http.Value;

        public AmazonS3Client S3 => _s3.Value.Client;

        public void Dispose()
        {
            if (_http.IsValueCreated)
            {
                _http.Value.Dispose();
            }

            if (_s3.IsValueCreated)
            {
                _s3.Value.Client.Dispose();
                _s3.Value.Http.Dispose();
            }
        }
    }

    /// <summary>Hands the SDK one <see cref="HttpClient"/> that the factory owns: the SDK neither caches nor disposes it.</summary>
    private sealed class OwnedHttpClientFactory(HttpClient client) : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) => client;

        public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

        public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;
    }
}
