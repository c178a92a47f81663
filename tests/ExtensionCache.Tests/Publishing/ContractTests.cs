extern alias client;

using System.Text.Json;
using ExtensionCache.Contract;
using ExtensionCache.Extension.Archives;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Extension.Publishing;
using ClientApi = client::ExtensionCache.Client;
using ClientPaths = client::ExtensionCache.Client.Paths;
using ClientReadiness = client::ExtensionCache.Client.Readiness;

namespace ExtensionCache.Tests.Publishing;

/// <summary>
/// The function side reads exactly what the extension writes: the extension's <see cref="Publisher"/> publishes
/// into a real temp root found from the environment, and the client, finding the root from the same environment,
/// reads the bundle, its manifest and its status back field for field.
/// </summary>
public sealed class ContractTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly Publisher _publisher;
    private readonly ClientApi.ExtensionCacheClient _client;

    public ContractTests()
    {
        // A trailing '/' and a '.' segment: both sides must normalize the root the same way.
        var variables = new Dictionary<string, string?>
        {
            ["EXTENSION_CACHE_BUNDLES"] = "deps=s3://bucket/deps.zip",
            ["EXTENSION_CACHE_ROOT"] = _temp.Path + "/./cache/",
        };
        var options = CacheOptions.FromEnvironment(name => variables.GetValueOrDefault(name));
        _publisher = new Publisher(options.Root);
        _publisher.CleanRoot(["deps"]);
        _client = new ClientApi.ExtensionCacheClient(new ClientPaths.BundleLocator(ClientPaths.CacheRoot.Resolve(name => variables.GetValueOrDefault(name))));
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task The_client_reads_back_field_for_field_what_the_publisher_wrote()
    {
        var written = new BundleManifest(
            "deps",
            "s3://bucket/deps.zip",
            "\"3858f62230ac3c915f300c664312c63f\"",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "zip",
            Files: 2,
            Directories: 1,
            Symlinks: 1,
            Bytes: 11,
            DownloadMs: 1234,
            UnpackMs: 5678,
            new DateTimeOffset(2026, 11, 29, 21, 30, 15, TimeSpan.FromHours(1)).AddTicks(1_234_567));
        var status = new BundleStatus("deps", BundleStatus.Ready, _publisher.PublishedPath("deps"), Reused: true, null, null);
        Publish("deps", written);
        _publisher.WriteStatus(status);

        Assert.Equal(_publisher.Root, _client.Locator.Root);
        Assert.Equal(_publisher.PublishedPath("deps"), _client.GetBundlePath("deps"));
        Assert.Equal(_publisher.StatusPath("deps"), _client.Locator.GetStatusPath("deps"));
        Assert.Equal("greeting", File.ReadAllText(Path.Join(_client.GetBundlePath("deps"), "hello.txt")));
        AssertSameFields(written, _client.ReadManifest("deps"));
        AssertSameFields(status, _client.ReadStatus("deps"));
        Assert.Equal(_publisher.PublishedPath("deps"), await _client.WaitForBundleAsync("deps", TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task A_failure_the_extension_records_reaches_the_client_with_its_type_and_message()
    {
        var status = new BundleStatus("deps", BundleStatus.Failed, null, false, "Extension.BundleNotFound", "bundle deps: s3://bucket/deps.zip does not exist");
        _publisher.WriteStatus(status);

        var error = await Assert.ThrowsAsync<ClientReadiness.BundleFailedException>(() => _client.WaitForBundleAsync("deps", TimeSpan.FromSeconds(5)));

        Assert.Equal(status.ErrorType, error.ErrorType);
        Assert.Equal(status.ErrorMessage, error.ErrorMessage);
        Assert.Equal(_publisher.StatusPath("deps"), error.StatusPath);
        AssertSameFields(status, _client.ReadStatus("deps"));
    }

    [Fact]
    public void The_files_keep_the_documented_field_names_and_whole_millisecond_timings()
    {
        Publish("deps", new BundleManifest("deps", "file:///opt/deps.zip", "v", new string('b', 64), "tar.zst", 1, 0, 0, 8, 40, 41, DateTimeOffset.UnixEpoch));
        _publisher.WriteStatus(new BundleStatus("deps", BundleStatus.Ready, _publisher.PublishedPath("deps"), false, null, null));

        using var manifest = JsonDocument.Parse(File.ReadAllText(_client.Locator.GetManifestPath("deps")));
        Assert.Equal(
            ["name", "source", "version", "sha256", "format", "files", "directories", "symlinks", "bytes", "downloadMs", "unpackMs", "publishedAt"],
            manifest.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("40", manifest.RootElement.GetProperty("downloadMs").GetRawText());
        Assert.Equal("41", manifest.RootElement.GetProperty("unpackMs").GetRawText());

        using var status = JsonDocument.Parse(File.ReadAllText(_client.Locator.GetStatusPath("deps")));
        Assert.Equal(
            ["name", "status", "path", "reused", "errorType", "errorMessage", "version", "publishedAt", "checkedAt"],
            status.RootElement.EnumerateObject().Select(p => p.Name));
    }

    [Theory]
    [InlineData(CacheLayout.ManifestFileName)]
    [InlineData("./" + CacheLayout.EntryIndexFileName)]
    public void The_archive_rules_reserve_the_files_the_extension_publishes_beside_the_bundle(string name)
    {
        var refused = Assert.Throws<BundleException>(() => EntryPathPolicy.Normalize(name));
        Assert.Equal(FailureKind.BundleUnsafe, refused.Kind);
        Assert.Contains("reserved", refused.Message, StringComparison.Ordinal);
    }

    private void Publish(string name, BundleManifest manifest)
    {
        var staging = _publisher.CreateAttempt(name);
        File.WriteAllText(Path.Join(staging, "hello.txt"), "greeting");
        _publisher.Publish(name, staging, manifest);
    }

    // The two sides compile the same source into different assemblies: compare every public property by name.
    private static void AssertSameFields<TWritten, TRead>(TWritten written, TRead? read)
        where TRead : class
    {
        Assert.NotNull(read);
        var writtenProperties = typeof(TWritten).GetProperties();
        Assert.Equal(
            writtenProperties.Select(p => (p.Name, p.PropertyType)),
            typeof(TRead).GetProperties().Select(p => (p.Name, p.PropertyType)));
        foreach (var property in writtenProperties)
        {
            Assert.Equal(property.GetValue(written), typeof(TRead).GetProperty(property.Name)!.GetValue(read));
        }
    }
}
