using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using ExtensionCache.Contract;
using ExtensionCache.Extension.Bundles;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Extension.Publishing;
using ExtensionCache.Tests.Fixtures;

namespace ExtensionCache.Tests.Faults;

/// <summary>
/// HTTP faults seen through the whole pipeline (BundleCache over a real loopback server): each failure is a clear
/// BundleException, the earlier published version stays intact and readable, and staging is left empty.
/// </summary>
public sealed class HttpFaultTests : IDisposable
{
    private static readonly byte[] V1Payload = RandomNumberGenerator.GetBytes(300_000);
    private static readonly byte[] V2Payload = RandomNumberGenerator.GetBytes(300_000);

    /// <summary>The extension's attempts for an error that is not throttling.</summary>
    private static readonly int ExtensionRetryAttempts = new Extension.Sources.RetryPolicy(TimeProvider.System).MaxAttempts;

    private CacheHarness _harness = new();
    private readonly LoopbackHttpServer _server = new(CacheHarness.VersionedBundle(V1Payload, "v1"), "\"v1\"");

    public void Dispose()
    {
        _server.Dispose();
        _harness.Dispose();
    }

    [Fact]
    public async Task A_503_SlowDown_that_never_ends_is_retried_until_the_refresh_budget_not_a_count_and_v1_stays_stale()
    {
        // Throttling is retried until the refresh check's budget (here 3 s of running time) ends, then fails clearly.
        _harness.Dispose();
        _harness = new CacheHarness(refreshBudget: TimeSpan.FromSeconds(3));
        await PublishV1Async();
        var before = _server.Requests;
        ServeV2();
        _server.StatusOverride = HttpStatusCode.ServiceUnavailable;
        var clock = Stopwatch.StartNew();

        var outcome = await _harness.Cache.RefreshAsync(Spec() with { RefreshSeconds = 60 }, CancellationToken.None);

        var error = Assert.IsType<BundleException>(outcome.Failure);
        Assert.Equal(FailureKind.BundleFetchFailed, error.Kind);
        Assert.Contains("503", error.Message, StringComparison.Ordinal);
        Assert.Contains("could not finish within a refresh check's budget of 3 s of running time", error.Message, StringComparison.Ordinal);
        var attempts = _server.Requests - before;
        Assert.True(attempts >= 2, $"{attempts} attempts ({error.Message})");

        // It used the time it had: the last attempt starts no earlier than 250 ms before the budget's end.
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(2.5), $"gave up after {clock.Elapsed}");
        Assert.Contains("\"stale\"", File.ReadAllText(Path.Join(_harness.Root, CacheLayout.StatusFolderName, "deps.json")), StringComparison.Ordinal);
        AssertV1Intact();
    }

    [Fact]
    public async Task At_INIT_a_503_SlowDown_that_never_ends_is_retried_past_any_limit_of_its_own_until_the_platform_ends_it()
    {
        // Lambda ends INIT itself (a retried INIT runs under the function timeout, which the extension cannot know), so
        // the extension never gives up on throttling at INIT: here it keeps retrying until it is cancelled (SIGTERM).
        await PublishV1Async();
        var before = _server.Requests;
        ServeV2();
        _server.StatusOverride = HttpStatusCode.ServiceUnavailable;
        using var stop = new CancellationTokenSource();

        var prepare = _harness.Cache.PrepareAsync(Spec(), stop.Token);
        var waited = Stopwatch.StartNew();
        while (_server.Requests - before <= 2 * ExtensionRetryAttempts && !prepare.IsCompleted && waited.Elapsed < TimeSpan.FromMinutes(2))
        {
            await Task.Delay(50);
        }

        Assert.False(prepare.IsCompleted, $"INIT gave up on its own after {_server.Requests - before} requests: {(prepare.IsFaulted ? prepare.Exception!.InnerException!.Message : "done")}");
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => prepare);
        Assert.True(_server.Requests - before > 2 * ExtensionRetryAttempts);
        AssertV1Intact();
    }

    [Theory]
    [InlineData(HttpStatusCode.Forbidden, FailureKind.BundleAccessDenied)]
    [InlineData(HttpStatusCode.NotFound, FailureKind.BundleNotFound)]
    public async Task A_403_expired_presigned_url_or_a_404_is_not_retried_never_shows_the_signature_and_v1_stays(HttpStatusCode status, FailureKind kind)
    {
        await PublishV1Async();
        var before = _server.Requests;
        ServeV2();
        _server.StatusOverride = status;

        var error = await FailsAsync();

        Assert.Equal(kind, error.Kind);
        Assert.Equal(1, _server.Requests - before);
        Assert.Contains("/bundle.zip", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret123", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("X-Amz", error.Message, StringComparison.Ordinal);
        AssertV1Intact();
    }

    [Fact]
    public async Task A_connection_reset_mid_body_is_retried_and_the_bundle_is_exact()
    {
        _server.TruncateOnceAtOffsets.Add(0);
        _server.TruncateOnceAtOffsets.Add(_harness.Limits.PartSizeBytes);

        var result = await _harness.PrepareAsync(Spec());

        Assert.Equal(V1Payload, await File.ReadAllBytesAsync(Path.Join(result.PublishedPath, "payload.bin")));
        _harness.AssertStagingEmpty();
    }

    [Fact]
    public async Task A_stalled_part_is_abandoned_and_the_bundle_is_exact()
    {
        _server.StallOnceAtOffsets.Add(_harness.Limits.PartSizeBytes);

        var clock = Stopwatch.StartNew();
        var result = await _harness.PrepareAsync(Spec());

        Assert.Equal(V1Payload, await File.ReadAllBytesAsync(Path.Join(result.PublishedPath, "payload.bin")));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"recovery took {clock.Elapsed}");
        _harness.AssertStagingEmpty();
    }

    [Fact]
    public async Task A_sha256_pin_that_does_not_match_is_BundleIntegrity_nothing_new_is_published_and_v1_stays()
    {
        await PublishV1Async();
        ServeV2();
        var wrongPin = Convert.ToHexStringLower(SHA256.HashData("neither v1 nor v2"u8));

        var error = await FailsAsync(Spec(wrongPin));

        Assert.Equal(FailureKind.BundleIntegrity, error.Kind);
        Assert.Contains(wrongPin, error.Message, StringComparison.OrdinalIgnoreCase);
        AssertV1Intact();
    }

    private BundleSpec Spec(string? sha256 = null) => CacheHarness.Spec("deps", _server.ObjectUri, BundleFormat.Zip, sha256);

    private async Task PublishV1Async()
    {
        var result = await _harness.PrepareAsync(Spec());
        Assert.Equal("v1", await File.ReadAllTextAsync(Path.Join(result.PublishedPath, "version.txt")));
    }

    private void ServeV2()
    {
        _server.Content = CacheHarness.VersionedBundle(V2Payload, "v2");
        _server.ETag = "\"v2\"";
    }

    private async Task<BundleException> FailsAsync(BundleSpec? spec = null)
    {
        var error = await _harness.FailsAsync(spec ?? Spec());
        Assert.Contains("deps", error.Message, StringComparison.Ordinal);
        return error;
    }

    private void AssertV1Intact() => _harness.AssertStillPublished("deps", "v1", V1Payload);
}
