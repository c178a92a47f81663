using System.Diagnostics;
using System.Security.Cryptography;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Extension.Sources;
using ExtensionCache.Tests.Fixtures;

namespace ExtensionCache.Tests.Faults;

/// <summary>A server that answers the probe and then never sends another byte: the download fails within a bound, with a clear error.</summary>
public sealed class StalledServerTests
{
    private const int Attempts = 3;
    private static readonly TimeSpan StallTimeout = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task A_server_that_stalls_forever_fails_within_a_bound_with_a_clear_error()
    {
        using var server = new LoopbackHttpServer(RandomNumberGenerator.GetBytes(300_000)) { HoldFromOffset = 0 };
        using var http = new HttpClient();
        var source = new HttpBundleSource(http, server.ObjectUri, "http://127.0.0.1/bundle.zip");
        var info = await source.ProbeAsync(CancellationToken.None);
        var retry = new RetryPolicy(TimeProvider.System, Attempts, 1, 2);
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<BundleException>(async () =>
        {
            await using var stream = new ParallelRangeStream(source, info, 100_000, 2, retry, CancellationToken.None, StallTimeout);
            var buffer = new byte[65_536];
            while (await stream.ReadAsync(buffer) > 0)
            {
            }
        });

        // Every attempt of a part ends at the stall timeout (backoff: 1-2 ms), late only by what a busy machine adds.
        Assert.True(clock.Elapsed < (Attempts * StallTimeout) + Generous.Lateness, $"gave up after {clock.Elapsed}");
        Assert.Contains("bundle.zip", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret123", error.Message, StringComparison.Ordinal);
        Assert.InRange(server.Requests - 1, 1, Attempts * 2);
        server.Release();
    }
}
