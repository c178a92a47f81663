using ExtensionCache.TestSupport;

namespace ExtensionCache.IntegrationTests.Fixtures;

/// <summary>
/// One real S3 API (s3rver, answering suffix ranges as real S3 does) for the whole end-to-end collection, with the
/// bucket the bundles are uploaded to.
/// </summary>
public sealed class S3ServerFixture : IAsyncLifetime
{
    public const string Bucket = "bundles";

    private S3rver? server;

    private S3rver Server => server ?? throw new InvalidOperationException("s3rver is not started.");

    /// <summary>The variables that point the extension's S3 client at this server.</summary>
    public IReadOnlyDictionary<string, string> ExtensionEnvironment => Server.ExtensionEnvironment;

    public async Task InitializeAsync() => server = await S3rver.StartAsync(Bucket);

    /// <summary>Uploads a file under a key and returns its <c>s3://</c> URI.</summary>
    public Task<string> UploadAsync(string key, string file) => Server.UploadAsync(key, file);

    /// <summary>The requests s3rver served for an object (from its log), oldest first.</summary>
    public IReadOnlyList<S3Request> RequestsFor(string key) => Server.RequestsFor(key);

    /// <summary>Body bytes s3rver sent for successful GETs of an object (approximate: its log rounds to 0.01 kb).</summary>
    public long BytesServed(string key) => Server.BytesServed(key);

    public async Task DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }
}
