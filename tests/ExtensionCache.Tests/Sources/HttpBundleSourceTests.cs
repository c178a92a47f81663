using System.Net;
using ExtensionCache.Extension.Archives;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Extension.Sources;
using ExtensionCache.Tests.Fixtures;

namespace ExtensionCache.Tests.Sources;

public sealed class HttpBundleSourceTests
{
    [Fact]
    public async Task The_probe_is_one_suffix_range_get_that_returns_length_etag_and_tail()
    {
        var content = new byte[200_000];
        new Random(1).NextBytes(content);
        using var server = new LoopbackHttpServer(content, "\"abc\"");
        using var http = new HttpClient();
        var source = new HttpBundleSource(http, server.ObjectUri, "display");

        var info = await source.ProbeAsync(CancellationToken.None);

        Assert.Equal(200_000, info.Length);
        Assert.Equal("\"abc\"", info.VersionId);
        Assert.Equal(content[^ZipCentralDirectory.TailBytes..], info.Tail.ToArray());
        Assert.Equal(1, server.Requests);
        Assert.True(server.RangeHeaders.TryDequeue(out var range));
        Assert.Equal($"bytes=-{ZipCentralDirectory.TailBytes}", range);
    }

    [Theory]
    [InlineData(HttpStatusCode.NotFound, FailureKind.BundleNotFound, "not found")]
    [InlineData(HttpStatusCode.Forbidden, FailureKind.BundleAccessDenied, "expired")]
    [InlineData(HttpStatusCode.BadRequest, FailureKind.BundleFetchFailed, "HTTP 400")]
    public async Task Client_errors_are_clear_not_retried_and_never_show_the_query(HttpStatusCode status, FailureKind kind, string text)
    {
        using var server = new LoopbackHttpServer([1, 2, 3]) { StatusOverride = status };
        using var http = new HttpClient();
        var display = new Uri(server.ObjectUri.GetLeftPart(UriPartial.Path)).ToString();
        var source = new HttpBundleSource(http, server.ObjectUri, display);

        var error = await Assert.ThrowsAsync<BundleException>(() =>
            new RetryPolicy(TimeProvider.System, 3, 1, 2).ExecuteAsync((_, ct) => source.ProbeAsync(ct), "probe", CancellationToken.None));

        Assert.Equal(kind, error.Kind);
        Assert.Contains(text, error.Message, StringComparison.Ordinal);
        Assert.Contains("/bundle.zip", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret123", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, server.Requests);
    }

    [Fact]
    public async Task Server_errors_are_retried_a_bounded_number_of_times()
    {
        using var server = new LoopbackHttpServer([1, 2, 3]) { StatusOverride = HttpStatusCode.InternalServerError };
        using var http = new HttpClient();
        var source = new HttpBundleSource(http, server.ObjectUri, "http://127.0.0.1/bundle.zip");

        var error = await Assert.ThrowsAsync<BundleException>(() =>
            new RetryPolicy(TimeProvider.System, 4, 1, 2).ExecuteAsync((_, ct) => source.ProbeAsync(ct), "probe", CancellationToken.None));

        Assert.Equal(FailureKind.BundleFetchFailed, error.Kind);
        Assert.Contains("after 4 attempts", error.Message, StringComparison.Ordinal);
        Assert.Contains("500", error.Message, StringComparison.Ordinal);
        Assert.Equal(4, server.Requests);
    }

    [Fact]
    public async Task A_503_is_throttling_retried_past_the_attempt_count_until_the_budget_ends()
    {
        using var server = new LoopbackHttpServer([1, 2, 3]);
        using var http = new HttpClient();
        var source = new HttpBundleSource(http, server.ObjectUri, "http://127.0.0.1/bundle.zip");

        // One answered probe first, so the budget is not spent on a cold start (connection, JIT): on a busy machine
        // that alone took longer than 1.5 s. Three requests then need at most 300 ms of backoff.
        await source.ProbeAsync(CancellationToken.None);
        var before = server.Requests;
        server.StatusOverride = HttpStatusCode.ServiceUnavailable;
        var budget = FetchBudget.ForRefreshCheck(new SandboxClock(TimeProvider.System), TimeSpan.FromSeconds(3));
        var retry = new RetryPolicy(TimeProvider.System, maxAttempts: 2, budget: budget);

        var error = await Assert.ThrowsAsync<BundleException>(() => retry.ExecuteAsync((_, ct) => source.ProbeAsync(ct), "probe", CancellationToken.None));

        Assert.Contains("could not finish within a refresh check's budget of 3 s of running time", error.Message, StringComparison.Ordinal);
        Assert.True(error.Message.Contains("503", StringComparison.Ordinal), $"the cause is missing from: {error.Message}");
        Assert.True(server.Requests - before > 2, $"{server.Requests - before} requests: throttling was bounded by the attempt count");
        Assert.True(retry.InFlight.Window < InFlightController.MaxWindow, "throttling did not lower the in-flight window");
    }

    [Fact]
    public async Task An_etag_change_during_the_download_is_an_error()
    {
        using var server = new LoopbackHttpServer(new byte[1000], "\"one\"");
        using var http = new HttpClient();
        var source = new HttpBundleSource(http, server.ObjectUri, "display");
        var probed = await source.ProbeAsync(CancellationToken.None);
        server.ETag = "\"two\"";

        var error = await Assert.ThrowsAsync<BundleException>(() => source.OpenRangeAsync(probed, 0, 100, CancellationToken.None));

        Assert.Contains("changed during the download", error.Message, StringComparison.Ordinal);
    }
}
