using System.Text.Json.Nodes;

namespace LambdaEmulator.Telemetry;

/// <summary>All Telemetry API subscriptions of the current INIT; fans events out to the ones that asked for them.</summary>
public sealed class TelemetryHub(TimeProvider time, TextWriter diagnostics) : IDisposable
{
    private readonly HttpClient _http = new();
    private readonly Lock _gate = new();
    private readonly List<TelemetrySubscription> _subscriptions = [];
    // Events of the current INIT: subscriptions are made during INIT, after it started, and still get its events.
    private readonly List<(TelemetryCategory Category, string Type, string Json)> _initBacklog = [];
    private bool _initOver;
    private TaskCompletionSource _thawed = NewOpenGate();

    /// <summary>Holds deliveries while the sandbox is frozen: the subscriber's listener cannot answer then.</summary>
    public void Pause()
    {
        lock (_gate)
        {
            if (_thawed.Task.IsCompleted)
            {
                _thawed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    public void Resume()
    {
        lock (_gate)
        {
            _thawed.TrySetResult();
        }
    }

    internal Task WhenThawed()
    {
        lock (_gate)
        {
            return _thawed.Task;
        }
    }

    public TelemetrySubscription Subscribe(
        string extensionName, SubscriptionApi api, IReadOnlySet<TelemetryCategory> categories, TelemetryBuffering buffering, Uri destination)
    {
        // The subscriber names sandbox.localdomain or sandbox (the sandbox's own host name in Lambda, 127.0.0.1 in the
        // sandbox's hosts file); the emulator does not see that file, so it delivers to loopback on the same port and path.
        var target = new UriBuilder(destination);
        if (Sandbox.SandboxHosts.Names(target.Host))
        {
            target.Host = "127.0.0.1";
        }

        var subscription = new TelemetrySubscription(extensionName, api, categories, buffering, target.Uri, _http, WhenThawed, time, diagnostics);
        lock (_gate)
        {
            _subscriptions.RemoveAll(s => s.ExtensionName == extensionName);
            _subscriptions.Add(subscription);
            foreach (var (category, type, json) in _initBacklog)
            {
                if (subscription.Wants(category, type))
                {
                    subscription.Enqueue(json);
                }
            }
        }

        return subscription;
    }

    public void Publish(TelemetryCategory category, string type, JsonNode? record)
    {
        var json = TelemetrySubscription.Serialize(time.GetUtcNow(), type, record);
        lock (_gate)
        {
            _initOver |= type == "platform.start";
            if (!_initOver)
            {
                _initBacklog.Add((category, type, json));
            }

            foreach (var subscription in _subscriptions)
            {
                if (subscription.Wants(category, type))
                {
                    subscription.Enqueue(json);
                }
            }
        }
    }

    /// <summary>Delivers what is buffered and drops every subscription (their extensions are gone).</summary>
    public async Task FlushAndClearAsync(CancellationToken cancellationToken)
    {
        TelemetrySubscription[] subscriptions;
        lock (_gate)
        {
            subscriptions = [.. _subscriptions];
            _subscriptions.Clear();
            _initBacklog.Clear();
            _initOver = false;
        }

        await Task.WhenAll(subscriptions.Select(s => s.CompleteAsync(cancellationToken))).ConfigureAwait(false);
    }

    public void Dispose() => _http.Dispose();

    private static TaskCompletionSource NewOpenGate()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        gate.SetResult();
        return gate;
    }
}
