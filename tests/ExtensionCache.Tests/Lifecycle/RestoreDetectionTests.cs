using System.Diagnostics;
using ExtensionCache.Extension.Bundles;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Lambda;
using ExtensionCache.Extension.Lifecycle;
using ExtensionCache.Extension.Sources;
using ExtensionCache.Tests.Fixtures;
using ExtensionCache.Tests.Lambda;
using Microsoft.Extensions.Time.Testing;

namespace ExtensionCache.Tests.Lifecycle;

/// <summary>
/// The host over a real loopback Extensions API, at the values users set (a one-hour refresh period), on a fake clock:
/// what the first INVOKE after INIT does for each initialization type. SnapStart's comes only after a restore, and
/// checks every refreshing bundle whatever its period; a provisioned environment's may come hours after INIT; on demand
/// it follows INIT at once.
/// </summary>
public sealed class RestoreDetectionTests : IAsyncLifetime
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    private readonly FakeExtensionsApi api = new();
    private readonly TempDirectory temp = new();
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly TestLog log = new();
    private readonly RecordingWork work = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await api.DisposeAsync();
        temp.Dispose();
    }

    [Fact]
    public async Task SnapStart_the_first_invoke_comes_after_a_restore_it_drops_the_connections_and_checks_at_once_whatever_the_period()
    {
        var run = Start("snap-start");
        await InitEndedAsync();

        // The snapshot follows INIT: nothing pooled goes into it.
        Assert.Equal(["prepare deps", "drop connections"], work.Events);

        // A minute later (a restore can come at any time; the period is an hour): the first invoke checks now.
        time.Advance(TimeSpan.FromMinutes(1));
        await InvokeAsync();
        Assert.Equal(["prepare deps", "drop connections", "drop connections", "refresh deps"], work.Events);
        Assert.Contains("restored from a snapshot initializationType=snap-start connections=dropped", log.Text, StringComparison.Ordinal);

        // From then on the period holds: an invoke a minute later checks nothing and drops nothing.
        time.Advance(TimeSpan.FromMinutes(1));
        await InvokeAsync();
        Assert.Equal(4, work.Events.Count);

        // One period after the restore's check, the next is due.
        time.Advance(TimeSpan.FromHours(1));
        await InvokeAsync();
        Assert.Equal("refresh deps", work.Events[^1]);
        Assert.Equal(2, work.Events.Count(e => e == "refresh deps"));

        await ShutdownAsync(run);
    }

    [Fact]
    public async Task On_demand_the_first_invoke_keeps_the_connections_and_the_period()
    {
        var run = Start("on-demand");
        await InitEndedAsync();

        time.Advance(TimeSpan.FromMinutes(1));
        await InvokeAsync();

        Assert.Equal(["prepare deps"], work.Events);
        Assert.DoesNotContain("restored", log.Text, StringComparison.Ordinal);
        await ShutdownAsync(run);
    }

    [Theory]
    [InlineData(5 * 60, false)]
    [InlineData(5 * 3600, true)]
    public async Task Provisioned_the_first_invoke_hours_after_INIT_drops_the_connections_and_checks_when_the_period_has_passed(int idleSeconds, bool due)
    {
        var run = Start("provisioned-concurrency");
        await InitEndedAsync();
        Assert.Equal(["prepare deps"], work.Events);

        // Initialised ahead of traffic, then idle (frozen) until the first invoke.
        time.Advance(TimeSpan.FromSeconds(idleSeconds));
        await InvokeAsync();

        Assert.Equal(due ? ["prepare deps", "drop connections", "refresh deps"] : ["prepare deps", "drop connections"], work.Events);
        Assert.Contains("first invoke after a provisioned INIT initializationType=provisioned-concurrency connections=dropped", log.Text, StringComparison.Ordinal);
        time.Advance(TimeSpan.FromMinutes(1));
        await InvokeAsync();
        Assert.Equal(1, work.Events.Count(e => e == "drop connections"));
        await ShutdownAsync(run);
    }

    [Fact]
    public async Task SnapStart_without_refresh_registers_for_SHUTDOWN_only_and_closes_every_connection_before_the_snapshot()
    {
        var run = Start("snap-start", refreshSeconds: 0);
        await InitEndedAsync();

        var register = api.Requests.Single(r => r.Path.EndsWith("/register", StringComparison.Ordinal));
        Assert.Equal("""{"events":["SHUTDOWN"]}""", register.Body);
        Assert.True(work.Disposed);
        await ShutdownAsync(run);
    }

    private Task<int> Start(string initializationType, int refreshSeconds = 3600)
    {
        var bundle = temp.Combine("deps.zip");
        var options = CacheOptions.FromEnvironment(name => name switch
        {
            "EXTENSION_CACHE_BUNDLES" => $"deps=file://{bundle}",
            "EXTENSION_CACHE_ROOT" => temp.Combine("cache"),
            "EXTENSION_CACHE_REFRESH_SECONDS" => refreshSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "EXTENSION_CACHE_METRICS" => "off",
            "AWS_LAMBDA_INITIALIZATION_TYPE" => initializationType,
            _ => null,
        });
        var client = new ExtensionsApiClient(api.RuntimeApi);
        var host = new ExtensionHost("extension-cache", "test", client, log.Log, new StartupClock(Stopwatch.GetTimestamp()), new SandboxClock(time), time);
        return Task.Run(async () =>
        {
            using (client)
            {
                return await host.RunAsync(options, work, CancellationToken.None);
            }
        });
    }

    /// <summary>INIT has ended: the extension waits in next.</summary>
    private Task InitEndedAsync() => api.WaitForAsync("/extension/event/next", Generous);

    /// <summary>Sends an INVOKE and waits until the extension calls next again (the invoke is over for it).</summary>
    private async Task InvokeAsync()
    {
        var deadline = time.GetUtcNow().AddSeconds(3).ToUnixTimeMilliseconds();
        api.Enqueue($$$"""{"eventType":"INVOKE","deadlineMs":{{{deadline}}},"requestId":"{{{Guid.NewGuid()}}}","invokedFunctionArn":"arn:aws:lambda:us-east-1:123456789012:function:f","tracing":{"type":"X-Amzn-Trace-Id","value":"Root=1-0-0"}}""");
        await api.WaitForAsync("/extension/event/next", Generous);
    }

    private async Task ShutdownAsync(Task<int> run)
    {
        api.EnqueueShutdown();
        Assert.Equal(0, await run.WaitAsync(Generous));
    }

    /// <summary>The engine as the host sees it, recording what it was asked to do, in order.</summary>
    private sealed class RecordingWork : IBundleWork
    {
        private readonly List<string> _events = [];

        public List<string> Events
        {
            get
            {
                lock (_events)
                {
                    return [.. _events];
                }
            }
        }

        public bool Disposed { get; private set; }

        public IReadOnlyList<FetchProgress> Running => [];

        public void PrepareRoot(IReadOnlyList<BundleSpec> bundles)
        {
        }

        public Task<BundleFailure?> PrepareAsync(BundleSpec bundle, CancellationToken cancellationToken)
        {
            Add($"prepare {bundle.Name}");
            return Task.FromResult<BundleFailure?>(null);
        }

        public Task<bool> RefreshAsync(BundleSpec bundle, CancellationToken cancellationToken)
        {
            Add($"refresh {bundle.Name}");
            return Task.FromResult(true);
        }

        public void DropConnections() => Add("drop connections");

        public void Dispose() => Disposed = true;

        private void Add(string text)
        {
            lock (_events)
            {
                _events.Add(text);
            }
        }
    }
}
