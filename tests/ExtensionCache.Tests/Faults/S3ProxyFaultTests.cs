using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using ExtensionCache.Extension.Bundles;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Extension.Publishing;
using ExtensionCache.Tests.Fixtures;
using ExtensionCache.Extension.Archives;
using PartPlan = ExtensionCache.Extension.Sources.PartPlan;
using RetryPolicy = ExtensionCache.Extension.Sources.RetryPolicy;

namespace ExtensionCache.Tests.Faults;

/// <summary>
/// Faults injected by a real reverse proxy (<see cref="FaultProxy"/>, YARP) between the extension's BundleCache and
/// a real S3 API (s3rver). Each test publishes v1, uploads v2 and makes fetching it fail: the error is a clear
/// BundleException naming the object (and never a signature), the proxy's count shows that transient faults were
/// retried with backoff, a bounded number of times (throttling: until a refresh check's budget; at INIT until the platform ends it) and client errors not at all, v1 stays published and intact, and
/// staging is empty. Transient faults that end let v2 be published with exactly its content.
/// </summary>
public sealed class S3ProxyFaultTests : IClassFixture<S3ProxyFaultTests.Servers>, IDisposable
{
    private const string Bucket = "bundles";
    private const string Key = "deps/bundle.zip";
    private const string ObjectUri = $"s3://{Bucket}/{Key}";

    // The extension's retry policy as BundleCache builds it: 5 attempts for errors other than throttling, 100 ms base delay doubling, jitter in [cap/2, cap].
    private static readonly RetryPolicy ExtensionRetry = new(TimeProvider.System);
    private static readonly byte[] V1Payload = RandomNumberGenerator.GetBytes(300_000);
    private static readonly byte[] V2Payload = RandomNumberGenerator.GetBytes(300_000);
    private static readonly byte[] V1Zip = CacheHarness.VersionedBundle(V1Payload, "v1");
    private static readonly byte[] V2Zip = CacheHarness.VersionedBundle(V2Payload, "v2");

    private readonly S3rver _s3;
    private readonly FaultProxy _proxy;
    private CacheHarness _harness;

    public S3ProxyFaultTests(Servers servers)
    {
        _s3 = servers.S3;
        _proxy = servers.Proxy;
        _proxy.ClearRules();

        // The extension's S3 client (a new one per test) talks to the proxy; uploads go straight to s3rver.
        _harness = new CacheHarness(environment: name => name == "AWS_ENDPOINT_URL_S3"
            ? _proxy.Endpoint.ToString().TrimEnd('/')
            : _s3.ExtensionEnvironment.GetValueOrDefault(name));
    }

    public void Dispose()
    {
        _proxy.ClearRules();
        _harness.Dispose();
    }

    [Fact]
    public async Task A_503_SlowDown_that_never_ends_is_retried_with_jitter_until_the_refresh_budget_and_v1_stays()
    {
        UseRefreshBudget(TimeSpan.FromSeconds(3));
        await PublishV1ThenUploadV2Async();
        var start = _proxy.Requests.Count;
        var rule = _proxy.Add(FaultRule.SlowDown());
        var clock = Stopwatch.StartNew();

        var outcome = await _harness.Cache.RefreshAsync(S3Spec() with { RefreshSeconds = 60 }, CancellationToken.None);

        var error = Assert.IsType<BundleException>(outcome.Failure);
        Assert.Equal(FailureKind.BundleFetchFailed, error.Kind);
        Assert.Contains(ObjectUri, error.Message, StringComparison.Ordinal);
        Assert.Contains("503", error.Message, StringComparison.Ordinal);
        Assert.Contains("could not finish within a refresh check's budget of 3 s of running time", error.Message, StringComparison.Ordinal);
        var attempts = _proxy.Requests.Skip(start).ToList();
        Assert.Equal(attempts.Count, rule.Injected);
        Assert.True(attempts.Count >= 2, $"only {attempts.Count} attempts: {error.Message}");

        // The time it had was used (the last attempt starts at most 250 ms before the budget's end).
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(2.5), $"gave up after {clock.Elapsed}");
        AssertNoSecret(error.Message);
        AssertV1Intact();
    }

    [Fact]
    public async Task A_server_error_that_never_ends_is_retried_with_growing_backoff_a_bounded_number_of_times_and_v1_stays()
    {
        const string code = "InternalError";
        const int status = 500;
        await PublishV1ThenUploadV2Async();
        var start = _proxy.Requests.Count;
        var rule = _proxy.Add(FaultRule.InternalError());

        var error = await FailsAsync(S3Spec());

        Assert.Equal(FailureKind.BundleFetchFailed, error.Kind);
        Assert.Contains(ObjectUri, error.Message, StringComparison.Ordinal);
        Assert.Contains($"{status} {code}", error.Message, StringComparison.Ordinal);
        Assert.Contains($"after {ExtensionRetry.MaxAttempts} attempts", error.Message, StringComparison.Ordinal);
        var attempts = _proxy.Requests.Skip(start).ToList();
        Assert.Equal(ExtensionRetry.MaxAttempts, attempts.Count);
        Assert.Equal(ExtensionRetry.MaxAttempts, rule.Injected);

        // Backoff: after failed attempt k the policy waits at least half of min(2000, 100 × 2^(k-1)) ms.
        for (var k = 1; k < attempts.Count; k++)
        {
            var least = TimeSpan.FromMilliseconds(Math.Min(2000, 100 << (k - 1)) / 2.0 * 0.9);
            var gap = attempts[k].ArrivedAt - attempts[k - 1].ArrivedAt;
            Assert.True(gap >= least, $"attempt {k + 1} came {gap.TotalMilliseconds:0} ms after attempt {k}, less than the backoff ({least.TotalMilliseconds:0} ms)");
        }

        AssertNoSecret(error.Message);
        AssertV1Intact();
    }

    [Fact]
    public async Task A_server_error_on_every_part_is_retried_per_part_a_bounded_number_of_times_and_v1_stays()
    {
        await PublishV1ThenUploadV2Async();
        var start = _proxy.Requests.Count;
        var rule = _proxy.Add(FaultRule.InternalError().ForRange(FaultRuleRange.FromOffset));

        var error = await FailsAsync(S3Spec());

        Assert.Equal(FailureKind.BundleFetchFailed, error.Kind);
        Assert.Contains($"GET {ObjectUri} bytes ", error.Message, StringComparison.Ordinal);
        Assert.Contains("500 InternalError", error.Message, StringComparison.Ordinal);
        var perRange = PartAttempts(start);
        Assert.Equal(ExtensionRetry.MaxAttempts, perRange.Values.Max());
        Assert.True(rule.Injected <= PartCount(V2Zip) * ExtensionRetry.MaxAttempts, $"{rule.Injected} faulted part requests");
        AssertNoSecret(error.Message);
        AssertV1Intact();
    }

    [Theory]
    [InlineData("SlowDown")]
    [InlineData("InternalError")]
    public async Task A_server_error_that_ends_is_retried_and_v2_is_published(string code)
    {
        await PublishV1ThenUploadV2Async();
        var start = _proxy.Requests.Count;
        var rule = _proxy.Add((code == "SlowDown" ? FaultRule.SlowDown() : FaultRule.InternalError()).Times(2));

        var result = await _harness.PrepareAsync(S3Spec());

        Assert.Equal(2, rule.Injected);
        var requests = _proxy.Requests.Skip(start).ToList();
        Assert.All(requests.Take(2), r => Assert.Same(rule, r.Fault));
        Assert.All(requests.Skip(2), r => Assert.Null(r.Fault));
        AssertV2Published(result);
    }

    [Theory]
    [InlineData(403, FaultRuleRange.Suffix)]
    [InlineData(403, FaultRuleRange.FromOffset)]
    [InlineData(404, FaultRuleRange.Suffix)]
    [InlineData(404, FaultRuleRange.FromOffset)]
    public async Task A_403_or_404_on_the_probe_or_a_part_is_not_retried_names_the_object_and_v1_stays(int status, FaultRuleRange on)
    {
        await PublishV1ThenUploadV2Async();
        var start = _proxy.Requests.Count;
        var rule = _proxy.Add((status == 403 ? FaultRule.AccessDenied() : FaultRule.NoSuchKey()).ForRange(on));

        var error = await FailsAsync(S3Spec());

        if (status == 403)
        {
            Assert.Equal(FailureKind.BundleAccessDenied, error.Kind);
            Assert.Contains(ObjectUri, error.Message, StringComparison.Ordinal);
            Assert.Contains($"s3:GetObject on arn:aws:s3:::{Bucket}/{Key}", error.Message, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(FailureKind.BundleNotFound, error.Kind);
            Assert.Contains($"bucket {Bucket}, key {Key}", error.Message, StringComparison.Ordinal);
        }

        // Not retried: no range was asked for twice, and the fault was hit once (the probe) or once per part at most.
        var requests = _proxy.Requests.Skip(start).ToList();
        Assert.All(requests.GroupBy(r => r.Range), g => Assert.Single(g));
        if (on == FaultRuleRange.Suffix)
        {
            Assert.Single(requests);
        }

        Assert.InRange(rule.Injected, 1, PartCount(V2Zip));
        AssertNoSecret(error.Message);
        AssertV1Intact();
    }

    // The AWS SDK retries a reset that comes before the response by itself (its "stale connection" retries,
    // immediate, outside MaxErrorRetry): each of the extension's attempts must stay one request.
    [Fact]
    public async Task A_connection_reset_before_every_response_is_tried_exactly_the_extensions_attempts_and_v1_stays()
    {
        await PublishV1ThenUploadV2Async();
        var start = _proxy.Requests.Count;
        var rule = _proxy.Add(FaultRule.Reset());

        var error = await FailsAsync(S3Spec());

        Assert.Equal(FailureKind.BundleFetchFailed, error.Kind);
        Assert.Contains($"probe {ObjectUri} failed after {ExtensionRetry.MaxAttempts} attempts", error.Message, StringComparison.Ordinal);
        Assert.Equal(ExtensionRetry.MaxAttempts, _proxy.Requests.Count - start);
        Assert.Equal(ExtensionRetry.MaxAttempts, rule.Injected);
        AssertNoSecret(error.Message);
        AssertV1Intact();
    }

    [Theory]
    [InlineData(FaultRuleKind.Reset)]
    [InlineData(FaultRuleKind.ResetAfterBytes)]
    [InlineData(FaultRuleKind.ShortBody)]
    public async Task A_part_reset_or_cut_short_once_is_requested_again_from_the_first_byte_not_received_and_v2_is_published_exactly(FaultRuleKind kind)
    {
        await PublishV1ThenUploadV2Async();
        var start = _proxy.Requests.Count;
        var rule = _proxy.Add(CutAfter(kind, 10_000).ForRange(FaultRuleRange.FromOffset).Skip(1).Times(1));

        var result = await _harness.PrepareAsync(S3Spec());

        Assert.Equal(1, rule.Injected);
        var faulted = Assert.Single(_proxy.Requests.Skip(start), r => r.Fault is not null);
        var (first, last) = Bytes(faulted.Range!);
        Assert.Equal(2, PartAttempts(start)[last]);

        // The second request asks for the rest of the part only: what arrived before the cut is kept.
        var again = Assert.Single(_proxy.Requests.Skip(start), r => r.Fault is null && r.Range is { } range && !range.StartsWith("bytes=-", StringComparison.Ordinal) && Bytes(range).Last == last);
        var resumedAt = Bytes(again.Range!).First;
        if (kind == FaultRuleKind.ShortBody)
        {
            Assert.Equal(first + 10_000, resumedAt);
        }
        else
        {
            Assert.InRange(resumedAt, first, first + 10_000);
        }

        AssertV2Published(result);
    }

    [Theory]
    [InlineData(FaultRuleKind.Reset)]
    [InlineData(FaultRuleKind.ResetAfterBytes)]
    [InlineData(FaultRuleKind.ShortBody)]
    public async Task A_part_reset_or_cut_short_every_time_fails_after_a_bounded_number_of_attempts_and_v1_stays(FaultRuleKind kind)
    {
        await PublishV1ThenUploadV2Async();
        var start = _proxy.Requests.Count;
        _proxy.Add(CutAfter(kind, 10_000).ForRange(FaultRuleRange.FromOffset));

        var error = await FailsAsync(S3Spec());

        Assert.Equal(FailureKind.BundleFetchFailed, error.Kind);
        Assert.Contains($"GET {ObjectUri} bytes ", error.Message, StringComparison.Ordinal);
        Assert.Contains($"after {ExtensionRetry.MaxAttempts} attempts", error.Message, StringComparison.Ordinal);
        Assert.Equal(ExtensionRetry.MaxAttempts, PartAttempts(start).Values.Max());
        AssertNoSecret(error.Message);
        AssertV1Intact();
    }

    [Fact]
    public async Task A_part_that_stalls_once_is_abandoned_after_the_stall_timeout_and_v2_is_published_exactly()
    {
        await PublishV1ThenUploadV2Async();
        var start = _proxy.Requests.Count;
        var rule = _proxy.Add(FaultRule.Stall().ForRange(FaultRuleRange.FromOffset).Skip(1).Times(1));

        var result = await _harness.PrepareAsync(S3Spec());

        Assert.Equal(1, rule.Injected);
        var stalled = Assert.Single(_proxy.Requests.Skip(start), r => r.Fault is not null);
        Assert.Equal(2, PartAttempts(start)[Bytes(stalled.Range!).Last]);
        AssertV2Published(result);
    }

    // Bound: 5 attempts × the 5 s stall timeout per part (parts in parallel) + at most 1.5 s of backoff ≈ 26.5 s.
    [Fact]
    public async Task A_server_that_stalls_every_part_forever_fails_within_a_bound_with_a_clear_error_and_v1_stays()
    {
        await PublishV1ThenUploadV2Async();
        var start = _proxy.Requests.Count;
        _proxy.Add(FaultRule.Stall().ForRange(FaultRuleRange.FromOffset));
        var clock = Stopwatch.StartNew();

        var error = await FailsAsync(S3Spec());

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(45), $"gave up only after {clock.Elapsed}");
        Assert.Equal(FailureKind.BundleFetchFailed, error.Kind);
        Assert.Contains($"GET {ObjectUri} bytes ", error.Message, StringComparison.Ordinal);
        Assert.Contains($"after {ExtensionRetry.MaxAttempts} attempts", error.Message, StringComparison.Ordinal);
        Assert.Contains("stalled (no byte for 5 s", error.Message, StringComparison.Ordinal);
        Assert.Equal(ExtensionRetry.MaxAttempts, PartAttempts(start).Values.Max());
        AssertNoSecret(error.Message);
        AssertV1Intact();
    }

    [Fact]
    public async Task A_sha256_pin_that_does_not_match_the_s3_object_is_BundleIntegrity_and_v1_stays()
    {
        await PublishV1ThenUploadV2Async();
        var wrongPin = Convert.ToHexStringLower(SHA256.HashData("neither v1 nor v2"u8));

        var error = await FailsAsync(S3Spec(wrongPin));

        Assert.Equal(FailureKind.BundleIntegrity, error.Kind);
        Assert.Contains(wrongPin, error.Message, StringComparison.Ordinal);
        Assert.Contains(Convert.ToHexStringLower(SHA256.HashData(V2Zip)), error.Message, StringComparison.Ordinal);
        Assert.Contains(ObjectUri, error.Message, StringComparison.Ordinal);
        AssertV1Intact();
    }

    [Fact]
    public async Task An_expired_presigned_url_is_AccessDenied_not_retried_and_never_shows_the_query()
    {
        await _s3.UploadAsync(Key, V1Zip);
        var v1 = await _harness.PrepareAsync(PresignedSpec(DateTime.UtcNow.AddHours(1)));
        Assert.Equal("v1", await File.ReadAllTextAsync(Path.Join(v1.PublishedPath, "version.txt")));
        await _s3.UploadAsync(Key, V2Zip);
        var expired = PresignedSpec(DateTime.UtcNow.AddSeconds(-5));
        var start = _proxy.Requests.Count;

        var error = await FailsAsync(expired);

        Assert.Equal(FailureKind.BundleAccessDenied, error.Kind);
        Assert.Contains(expired.DisplaySource, error.Message, StringComparison.Ordinal);
        Assert.Contains("expired", error.Message, StringComparison.Ordinal);
        Assert.Contains("s3:GetObject", error.Message, StringComparison.Ordinal);

        // One request, which the proxy forwarded untouched: the refusal is s3rver's ("Request has expired").
        Assert.Null(Assert.Single(_proxy.Requests.Skip(start)).Fault);
        var signature = System.Web.HttpUtility.ParseQueryString(expired.Source.Query)["X-Amz-Signature"];
        Assert.False(string.IsNullOrEmpty(signature));
        Assert.DoesNotContain(signature, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("?", error.Message, StringComparison.Ordinal);
        AssertNoSecret(error.Message);
        AssertV1Intact();
    }

    private static FaultRule CutAfter(FaultRuleKind kind, long bytes) => kind switch
    {
        FaultRuleKind.Reset => FaultRule.Reset(),
        FaultRuleKind.ResetAfterBytes => FaultRule.ResetAfter(bytes),
        _ => FaultRule.ShortBodyAfter(bytes),
    };

    private static void AssertNoSecret(string message)
    {
        Assert.DoesNotContain("X-Amz-", message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Signature=", message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("AWS4-HMAC-SHA256", message, StringComparison.Ordinal);
        Assert.DoesNotContain(S3rver.SecretKey, message, StringComparison.Ordinal);
    }

    private static BundleSpec S3Spec(string? sha256 = null) => CacheHarness.Spec("deps", new Uri(ObjectUri), BundleFormat.Zip, sha256);

    private int PartCount(byte[] archive) =>
        new PartPlan(archive.Length, _harness.Limits.PartSizeBytes, _harness.Limits.Concurrency, ZipCentralDirectory.TailBytes).Count;

    private void UseRefreshBudget(TimeSpan budget)
    {
        _harness.Dispose();
        _harness = new CacheHarness(
            environment: name => name == "AWS_ENDPOINT_URL_S3" ? _proxy.Endpoint.ToString().TrimEnd('/') : _s3.ExtensionEnvironment.GetValueOrDefault(name),
            refreshBudget: budget);
    }

    /// <summary>
    /// How many times each part was requested since request number <paramref name="start"/>, by the part's last byte (a
    /// request made again asks for the part from the first byte not yet received: <c>bytes=first-last</c>, the same last).
    /// </summary>
    private Dictionary<long, int> PartAttempts(int start) => _proxy.Requests
        .Skip(start)
        .Where(r => r.Range is { } range && !range.StartsWith("bytes=-", StringComparison.Ordinal))
        .GroupBy(r => Bytes(r.Range!).Last)
        .ToDictionary(g => g.Key, g => g.Count());

    /// <summary>The first and last byte of a <c>bytes=first-last</c> range header.</summary>
    private static (long First, long Last) Bytes(string range)
    {
        var dash = range.IndexOf('-', StringComparison.Ordinal);
        return (long.Parse(range.AsSpan("bytes=".Length, dash - "bytes=".Length), CultureInfo.InvariantCulture), long.Parse(range.AsSpan(dash + 1), CultureInfo.InvariantCulture));
    }

    /// <summary>A presigned GET URL for the bundle, signed for the proxy's address and fetched through it.</summary>
    private BundleSpec PresignedSpec(DateTime expires)
    {
        using var signer = new AmazonS3Client(
            new BasicAWSCredentials(S3rver.AccessKey, S3rver.SecretKey),
            new AmazonS3Config { ServiceURL = _proxy.Endpoint.ToString(), ForcePathStyle = true, AuthenticationRegion = S3rver.Region });
        var url = signer.GetPreSignedURL(new GetPreSignedUrlRequest
        {
            BucketName = Bucket,
            Key = Key,
            Verb = HttpVerb.GET,
            Protocol = Protocol.HTTP,
            Expires = expires,
        });
        return CacheHarness.Spec("deps", new Uri(url), BundleFormat.Zip);
    }

    private async Task PublishV1ThenUploadV2Async()
    {
        await _s3.UploadAsync(Key, V1Zip);
        var v1 = await _harness.PrepareAsync(S3Spec());
        Assert.Equal("v1", await File.ReadAllTextAsync(Path.Join(v1.PublishedPath, "version.txt")));
        await _s3.UploadAsync(Key, V2Zip);
    }

    private async Task<BundleException> FailsAsync(BundleSpec spec)
    {
        var error = await _harness.FailsAsync(spec);
        Assert.StartsWith("bundle deps: ", error.Message, StringComparison.Ordinal);
        return error;
    }

    private void AssertV1Intact() => _harness.AssertStillPublished("deps", "v1", V1Payload);

    private void AssertV2Published(BundleResult result)
    {
        Assert.False(result.Reused);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(V2Zip)), result.Sha256);
        Assert.Equal("v2", File.ReadAllText(Path.Join(_harness.Root, "deps", "version.txt")));
        Assert.Equal(V2Payload, File.ReadAllBytes(Path.Join(_harness.Root, "deps", "payload.bin")));
        _harness.AssertStagingEmpty();
        _harness.AssertOutsideUntouched();
    }

    /// <summary>One s3rver and one proxy in front of it for the whole class (its tests run one at a time); each test starts with no rule.</summary>
    public sealed class Servers : IAsyncLifetime
    {
        public S3rver S3 { get; private set; } = null!;

        public FaultProxy Proxy { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            S3 = await S3rver.StartAsync(Bucket);
            Proxy = await FaultProxy.StartAsync(S3.Endpoint);
        }

        public async Task DisposeAsync()
        {
            await Proxy.DisposeAsync();
            await S3.DisposeAsync();
        }
    }
}
