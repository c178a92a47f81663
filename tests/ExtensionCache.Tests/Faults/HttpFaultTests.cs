using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
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

    // The INIT deadline of the throttling test, started once v1 is published so that only the v2 fetch counts against it.
    private static readonly TimeSpan FetchDeadline = TimeSpan.FromSeconds(3);

    // The extension's stall timeout (ParallelRangeStream's default): a part with no byte for this long is fetched again.
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(5);

    private CacheHarness _harness = new();
    private readonly LoopbackHttpServer _server = new(CacheHarness.VersionedBundle(V1Payload, "v1"), "\"v1\"");

    public void Dispose()
    {
        _server.Dispose();
        _harness.Dispose();
    }

    [Fact]
    public async Task A_503_SlowDown_that_never_ends_is_retried_until_the_deadline_not_a_count_and_v1_stays()
    {
        // Throttling is retried until the INIT deadline (here 3 s from once v1 is published), then fails clearly.
        await PublishV1Async();
        _harness.StartFetchDeadline(FetchDeadline);
        var clock = Stopwatch.StartNew();
        var before = _server.Requests;
        ServeV2();
        _server.StatusOverride = HttpStatusCode.ServiceUnavailable;

        var error = await FailsAsync();

        Assert.Equal(FailureKind.BundleFetchFailed, error.Kind);
        Assert.True(error.Message.Contains("503", StringComparison.Ordinal), $"the cause is missing from: {error.Message}");
        Assert.Contains("could not finish within a test deadline of 3 s", error.Message, StringComparison.Ordinal);
        var attempts = _server.Requests - before;
        Assert.True(attempts >= 2, $"only {attempts} attempts: {error.Message}");

        // It used the time it had (the last attempt is started no later than 250 ms before the deadline), and no more:
        // the attempt in flight is cancelled at the deadline, late only by what a busy machine adds.
        Assert.InRange(clock.Elapsed, FetchDeadline - TimeSpan.FromSeconds(0.5), FetchDeadline + Generous.Lateness);
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

        // Abandoned at the stall timeout and fetched again (milliseconds), not waited on: the server never answers it.
        Assert.Equal(V1Payload, await File.ReadAllBytesAsync(Path.Join(result.PublishedPath, "payload.bin")));
        Assert.True(clock.Elapsed < StallTimeout + Generous.Lateness, $"recovery took {clock.Elapsed}");
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
