using System.Security.Cryptography;
using ExtensionCache.Extension.Sources;
using ExtensionCache.Tests.Fixtures;
using ExtensionCache.Tests.Lambda;
using ExtensionCache.Tests.Lifecycle;

namespace ExtensionCache.Tests.Faults;

/// <summary>
/// A herd of cold starts: real extension processes, each with its own root and its own Extensions API, started
/// together against one object in a real S3 API (s3rver) behind a proxy that allows a few requests per second and
/// answers 503 SlowDown past that, as S3 does past its per-prefix rate. Every one must publish the bundle: the
/// throttling is seen and absorbed (backoff, fewer requests in flight), not turned into failed INITs.
/// </summary>
public sealed class HerdTests
{
    private const int Processes = 20;
    private const string Bucket = "herd";
    private const string Key = "deps/bundle.zip";

    [Fact]
    public async Task Twenty_cold_starts_at_once_behind_a_request_rate_limit_all_publish_and_absorb_the_503s()
    {
        var payload = RandomNumberGenerator.GetBytes(3 * 1024 * 1024);
        var zip = CacheHarness.VersionedBundle(payload, "herd");
        await using var s3 = await S3rver.StartAsync(Bucket);
        await s3.UploadAsync(Key, zip);
        await using var proxy = await FaultProxy.StartAsync(s3.Endpoint);

        // Each cold start needs 2 GETs (the probe with the tail, one part): 40 GETs at 2 per second, while twenty
        // processes starting at once ask for 20 within their first second.
        var limit = proxy.Add(FaultRule.RateLimit(perSecond: 2, burst: 4).ForMethod("GET"));
        using var temp = new TempDirectory("herd");
        var apis = new List<FakeExtensionsApi>();
        var extensions = new List<ExtensionProcess>();
        try
        {
            for (var i = 0; i < Processes; i++)
            {
                var api = new FakeExtensionsApi();
                apis.Add(api);
                var environment = new Dictionary<string, string>(s3.ExtensionEnvironment)
                {
                    ["AWS_ENDPOINT_URL_S3"] = proxy.Endpoint.ToString().TrimEnd('/'),
                    ["AWS_LAMBDA_RUNTIME_API"] = api.RuntimeApi,
                    ["EXTENSION_CACHE_BUNDLES"] = $"deps=s3://{Bucket}/{Key}",
                    ["EXTENSION_CACHE_ROOT"] = temp.Combine($"root-{i}"),
                };
                extensions.Add(ExtensionProcess.Start(environment));
            }

            // Ready = the first next (register comes after the bundle is published in before-register mode).
            var ready = await Task.WhenAll(apis.Select(async api =>
            {
                // The extension never gives up at INIT (Lambda ends INIT; here nothing does): the guard is generous, for a
                // busy machine, and a herd that never becomes ready fails here.
                await api.WaitForAsync("/event/next", TimeSpan.FromSeconds(130) + Generous.Wait);
                return api.Requests.Select(r => r.Path).ToList();
            }));

            Assert.All(ready, paths => Assert.DoesNotContain(paths, p => p.EndsWith("/init/error", StringComparison.Ordinal)));
            for (var i = 0; i < Processes; i++)
            {
                var published = Path.Join(temp.Combine($"root-{i}"), "deps");
                Assert.Equal("herd", await File.ReadAllTextAsync(Path.Join(published, "version.txt")));
                Assert.Equal(payload, await File.ReadAllBytesAsync(Path.Join(published, "payload.bin")));
            }

            // The limit was really exceeded, and every throttled request was retried until it got through.
            Assert.True(limit.Injected > 0, "no request was throttled: the herd did not exceed the rate");
            var gets = proxy.Requests.Where(r => r.Method == "GET").ToList();
            // Two served GETs per cold start, a few more when a part was re-requested after a stall on this loaded machine.
            Assert.InRange(gets.Count(r => r.Fault is null), 2 * Processes, 3 * Processes);
            Assert.Equal(limit.Injected, gets.Count(r => r.Fault is not null));
        }
        finally
        {
            foreach (var api in apis)
            {
                api.EnqueueShutdown();
            }

            foreach (var extension in extensions)
            {
                await extension.DisposeAsync();
            }

            foreach (var api in apis)
            {
                await api.DisposeAsync();
            }
        }
    }
}
