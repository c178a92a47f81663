using ExtensionCache.Contract;
using System.Text.Json;
using ExtensionCache.Extension.Bundles;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Extension.Publishing;
using ExtensionCache.Tests.Fixtures;

namespace ExtensionCache.Tests;

public sealed class BundleCacheRefreshTests : IDisposable
{
    private readonly CacheHarness harness = new();
    private readonly string archive;
    private readonly BundleSpec spec;
    private int writes;

    public BundleCacheRefreshTests()
    {
        archive = harness.Temp.Combine("bundle-source.zip");
        Write("v1");
        spec = CacheHarness.Spec("deps", new Uri("file://" + archive), BundleFormat.Zip) with { RefreshSeconds = 60 };
    }

    private byte[] Payload(string version) => [.. Enumerable.Repeat((byte)version[^1], 1000 + version.Length)];

    private void Write(string version)
    {
        File.WriteAllBytes(archive, CacheHarness.VersionedBundle(Payload(version), version));
        File.SetLastWriteTimeUtc(archive, new DateTime(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(++writes));
    }

    private JsonElement Status() =>
        JsonDocument.Parse(File.ReadAllText(Path.Join(harness.Root, CacheLayout.StatusFolderName, "deps.json"))).RootElement;

    private string[] StoreVersions() =>
        [.. Directory.EnumerateDirectories(new CacheLayout(harness.Root).VersionsOf("deps")).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    [Fact]
    public async Task An_unchanged_source_publishes_nothing_and_records_the_check()
    {
        await harness.PrepareAsync(spec);
        var firstCheck = Status().GetProperty("checkedAt").GetDateTimeOffset();
        var store = StoreVersions();
        await Task.Delay(20);

        var outcome = await harness.Cache.RefreshAsync(spec, CancellationToken.None);

        Assert.Same(RefreshOutcome.Unchanged, outcome);
        Assert.Equal(store, StoreVersions());
        Assert.Equal("ready", Status().GetProperty("status").GetString());
        Assert.True(Status().GetProperty("checkedAt").GetDateTimeOffset() > firstCheck);
    }

    [Fact]
    public async Task A_changed_source_is_swapped_in_and_keeps_the_previous_version_until_the_next_check()
    {
        await harness.PrepareAsync(spec);
        var v1Store = Assert.Single(StoreVersions());

        Write("v2");
        var second = await harness.Cache.RefreshAsync(spec, CancellationToken.None);
        Assert.NotNull(second.Published);
        harness.AssertStillPublished("deps", "v2", Payload("v2"));
        Assert.Contains(v1Store, StoreVersions());
        Assert.Equal(2, StoreVersions().Length);
        Assert.Equal(second.Published.Version, Status().GetProperty("version").GetString());
        Assert.Equal(new FileInfo(archive).Length, second.Published.DownloadedBytes);

        // The next check removes v1 (no process uses it) before it downloads: at most two versions at a time.
        Write("v3");
        await harness.Cache.RefreshAsync(spec, CancellationToken.None);
        harness.AssertStillPublished("deps", "v3", Payload("v3"));
        Assert.DoesNotContain(v1Store, StoreVersions());
        Assert.Equal(2, StoreVersions().Length);
    }

    [Fact]
    public async Task A_failed_refresh_keeps_the_published_version_and_says_stale_with_the_cause()
    {
        await harness.PrepareAsync(spec);

        File.Delete(archive);
        var missing = await harness.Cache.RefreshAsync(spec, CancellationToken.None);
        Assert.Equal(FailureKind.BundleNotFound, missing.Failure?.Kind);

        harness.AssertStillPublished("deps", "v1", Payload("v1"));
        Assert.Equal("stale", Status().GetProperty("status").GetString());
        Assert.Equal("Extension.BundleNotFound", Status().GetProperty("errorType").GetString());
        Assert.Contains("bundle deps", Status().GetProperty("errorMessage").GetString(), StringComparison.Ordinal);
        Assert.Contains("refresh failed, keeping the published version", harness.Log.Text, StringComparison.Ordinal);

        // A hostile archive (a path escaping the root) is refused the same way, and nothing beside the root changes.
        File.WriteAllBytes(archive, ArchiveBuilder.Zip([ArchiveEntry.File("../escape.txt", "x"u8.ToArray())]));
        var hostile = await harness.Cache.RefreshAsync(spec, CancellationToken.None);
        Assert.Equal(FailureKind.BundleUnsafe, hostile.Failure?.Kind);
        harness.AssertStillPublished("deps", "v1", Payload("v1"));
        Assert.Equal("stale", Status().GetProperty("status").GetString());

        // The next good version clears the stale status.
        Write("v4");
        Assert.NotNull((await harness.Cache.RefreshAsync(spec, CancellationToken.None)).Published);
        harness.AssertStillPublished("deps", "v4", Payload("v4"));
        Assert.Equal("ready", Status().GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, Status().GetProperty("errorType").ValueKind);
    }

    public void Dispose() => harness.Dispose();
}
