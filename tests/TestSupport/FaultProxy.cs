using System.Diagnostics;
using System.Security;
using Microsoft.AspNetCore.Http;

namespace ExtensionCache.TestSupport;

/// <summary>
/// A reverse proxy (a <see cref="ForwardingServer"/>) in front of a real server,
/// for example <see cref="S3rver"/>, that injects faults by rule. Each request is checked against the rules in
/// the order they were added; the first rule that applies (<see cref="FaultRule"/>) decides its fault, and a
/// request no rule applies to is forwarded untouched. Rules can be added and cleared while it runs. Every request
/// is recorded (<see cref="Requests"/>) so tests can count attempts and see which ones were faulted.
/// The Host header is forwarded as the client sent it, so a SigV4 signature made for the proxy's address stays valid.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly List<FaultRule> _rules = [];
    private readonly List<FaultProxyRequest> _requests = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly long _started = Stopwatch.GetTimestamp();
    private ForwardingServer? _server;

    private FaultProxy()
    {
    }

    /// <summary>Where clients connect: <c>http://127.0.0.1:port</c>.</summary>
    public Uri Endpoint => _server!.Endpoint;

    /// <summary>Every request received so far, oldest first (a copy).</summary>
    public IReadOnlyList<FaultProxyRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Starts a proxy that forwards to <paramref name="target"/> (scheme, host and port are used).</summary>
    public static async Task<FaultProxy> StartAsync(Uri target)
    {
        var proxy = new FaultProxy();
        try
        {
            proxy._server = await ForwardingServer.StartAsync(target, proxy.HandleAsync).ConfigureAwait(false);
            return proxy;
        }
        catch
        {
            await proxy.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Adds a rule (after the existing ones) and returns it, so its counters can be read later.</summary>
    public FaultRule Add(FaultRule rule)
    {
        lock (_gate)
        {
            _rules.Add(rule);
        }

        return rule;
    }

    /// <summary>Removes every rule: from now on all requests are forwarded untouched.</summary>
    public void ClearRules()
    {
        lock (_gate)
        {
            _rules.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Stalled requests end first, so stopping Kestrel does not wait for them.
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var range = request.Headers.Range.Count > 0 ? request.Headers.Range.ToString() : null;
        FaultRule? fault = null;
        lock (_gate)
        {
            foreach (var rule in _rules)
            {
                if (rule.TryApply(request.Method, range))
                {
                    fault = rule;
                    break;
                }
            }

            _requests.Add(new FaultProxyRequest(_requests.Count + 1, request.Method, request.Path.Value ?? "/", range, fault, Stopwatch.GetElapsedTime(_started)));
        }

        switch (fault?.Kind)
        {
            case null:
                await ForwardAsync(context).ConfigureAwait(false);
                break;
            case FaultRuleKind.Error:
                await WriteErrorAsync(context, fault).ConfigureAwait(false);
                break;
            case FaultRuleKind.Reset:
                context.Abort();
                break;
            case FaultRuleKind.ResetAfterBytes:
                context.Response.Body = new FaultProxyBodyStream(context.Response.Body, fault.Bytes, context.Abort);
                await ForwardAsync(context).ConfigureAwait(false);
                break;
            case FaultRuleKind.ShortBody:
                context.Response.Body = new FaultProxyBodyStream(context.Response.Body, fault.Bytes, abort: null);
                await ForwardAsync(context).ConfigureAwait(false);
                break;
            case FaultRuleKind.Stall:
                await StallAsync(context).ConfigureAwait(false);
                break;
        }
    }

    private Task ForwardAsync(HttpContext context) => _server!.ForwardAsync(context);

    private static async Task WriteErrorAsync(HttpContext context, FaultRule fault)
    {
        var response = context.Response;
        response.StatusCode = fault.Status;
        response.ContentType = "application/xml";
        response.Headers["x-amz-request-id"] = "FAULTPROXY";
        await response.WriteAsync(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + $"<Error><Code>{SecurityElement.Escape(fault.ErrorCode)}</Code>"
            + $"<Message>{SecurityElement.Escape(fault.ErrorMessage)}</Message>"
            + $"<Resource>{SecurityElement.Escape(context.Request.Path.Value)}</Resource>"
            + "<RequestId>FAULTPROXY</RequestId></Error>",
            context.RequestAborted).ConfigureAwait(false);
    }

    private async Task StallAsync(HttpContext context)
    {
        using var hold = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, hold.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The client gave up, or the proxy is being disposed.
        }

        context.Abort();
    }
}
