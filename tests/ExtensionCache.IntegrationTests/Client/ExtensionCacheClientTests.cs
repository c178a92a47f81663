using ExtensionCache.Client;
using ExtensionCache.Client.Paths;
using ExtensionCache.Client.Readiness;
using ExtensionCache.IntegrationTests.Infrastructure;

namespace ExtensionCache.IntegrationTests.Client;

/// <summary>The client library against real files written the way the extension writes them (temp file + rename).</summary>
public sealed class ExtensionCacheClientTests : IDisposable
{
    private readonly TempDirectory root = new("client");

    [Fact]
    public void Root_follows_the_extensions_rule()
    {
        Assert.Equal("/custom", CacheRoot.Resolve(n => n == "EXTENSION_CACHE_ROOT" ? "/custom" : "/ignored"));
        Assert.Equal("/sandbox/tmp/extension-cache", CacheRoot.Resolve(n => n == "TMPDIR" ? "/sandbox/tmp" : null));
        Assert.Equal("/tmp/extension-cache", CacheRoot.Resolve(_ => null));
        Assert.Equal("/tmp/extension-cache", CacheRoot.Resolve(n => n == "TMPDIR" ? "relative/tmp" : null));
        Assert.Throws<InvalidOperationException>(() => CacheRoot.Resolve(n => n == "EXTENSION_CACHE_ROOT" ? "relative/cache" : null));
    }

    [Fact]
    public async Task Returns_the_path_at_once_when_the_status_is_already_ready()
    {
        var client = new ExtensionCacheClient(new BundleLocator(root.Path));
        WriteStatus("deps", $$"""{"name":"deps","status":"ready","path":"{{root.Combine("deps")}}","reused":true}""");

        var path = await client.WaitForBundleAsync("deps", Generous.Wait);

        Assert.Equal(root.Combine("deps"), path);
        Assert.True(client.ReadStatus("deps")!.Reused);
    }

    [Fact]
    public async Task Wakes_up_when_the_status_appears_while_waiting()
    {
        // The status folder does not exist yet, as in overlap mode before the extension gets to it.
        var client = new ExtensionCacheClient(new BundleLocator(root.Path));
        var waiting = client.WaitForBundleAsync("deps", Generous.Wait);
        Assert.False(waiting.IsCompleted);

        WriteStatus("deps", $$"""{"name":"deps","status":"ready","path":"{{root.Combine("deps")}}"}""");

        Assert.Equal(root.Combine("deps"), await waiting);
    }

    [Fact]
    public async Task Failed_status_throws_with_the_bundle_the_file_and_the_error()
    {
        var client = new ExtensionCacheClient(new BundleLocator(root.Path));
        WriteStatus("deps", """{"name":"deps","status":"failed","errorType":"Extension.DownloadFailed","errorMessage":"NoSuchKey"}""");

        var error = await Assert.ThrowsAsync<BundleFailedException>(() => client.WaitForBundleAsync("deps", Generous.Wait));

        Assert.Equal("deps", error.BundleName);
        Assert.Contains("'deps'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Extension.DownloadFailed", error.Message, StringComparison.Ordinal);
        Assert.Contains("NoSuchKey", error.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(root.Path, ".status", "deps.json"), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Timeout_names_the_bundle_the_path_and_the_mode()
    {
        var client = new ExtensionCacheClient(new BundleLocator(root.Path));

        var error = await Assert.ThrowsAsync<BundleWaitTimeoutException>(
            () => client.WaitForBundleAsync("deps", TimeSpan.FromMilliseconds(200)));

        Assert.Contains("'deps'", error.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(root.Path, ".status", "deps.json"), error.Message, StringComparison.Ordinal);
        Assert.Contains("EXTENSION_CACHE_MODE", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infinite_timeout_waits_until_cancelled()
    {
        var client = new ExtensionCacheClient(new BundleLocator(root.Path));
        using var cancel = new CancellationTokenSource();
        var waiting = client.WaitForBundleAsync("deps", Timeout.InfiniteTimeSpan, cancel.Token);
        Assert.False(waiting.IsCompleted);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }

    [Fact]
    public void Reads_the_manifest_through_the_published_link()
    {
        var store = Directory.CreateDirectory(root.Combine(".store", "deps-v1")).FullName;
        File.WriteAllText(Path.Combine(store, ".extension-cache-manifest.json"),
            """{"name":"deps","source":"s3://b/k.zip","version":"\"etag\"","sha256":"ab","format":"zip","files":3,"bytes":42,"downloadMs":15,"unpackMs":2,"publishedAt":"2026-11-27T18:00:00Z","future":"ignored"}""");
        File.CreateSymbolicLink(root.Combine("deps"), store);
        var client = new ExtensionCacheClient(new BundleLocator(root.Path));

        var manifest = client.ReadManifest("deps");

        Assert.Equal("s3://b/k.zip", manifest.Source);
        Assert.Equal("\"etag\"", manifest.Version);
        Assert.Equal(3, manifest.Files);
        Assert.Equal(42, manifest.Bytes);
        Assert.Equal(15, manifest.DownloadMs);
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 18, 0, 0, TimeSpan.Zero), manifest.PublishedAt);
        var missing = Assert.Throws<FileNotFoundException>(() => client.ReadManifest("other"));
        Assert.Contains("EXTENSION_CACHE_BUNDLES", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_names_that_are_not_folder_names()
    {
        var locator = new BundleLocator(root.Path);
        Assert.Throws<ArgumentException>(() => locator.GetBundlePath("../etc"));
        Assert.Throws<ArgumentException>(() => locator.GetBundlePath(".."));
        Assert.Throws<ArgumentException>(() => locator.GetBundlePath(".hidden"));
        Assert.Throws<ArgumentException>(() => locator.GetBundlePath(new string('n', 65)));
    }

    public void Dispose() => root.Dispose();

    // As the extension does: write elsewhere, then rename into place, so a reader never sees a partial file.
    private void WriteStatus(string name, string json)
    {
        var folder = Directory.CreateDirectory(root.Combine(".status")).FullName;
        var temporary = Path.Combine(folder, $".{name}.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(temporary, json);
        File.Move(temporary, Path.Combine(folder, name + ".json"));
    }
}
