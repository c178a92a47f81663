using System.Net;
using LambdaEmulator.Lifecycle;
using LambdaEmulator.Logs;

namespace LambdaEmulator.Invoke;

/// <summary>
/// Serve mode's front door, compatible with the Runtime Interface Emulator:
/// POST /2015-03-31/functions/function/invocations. Requests are taken concurrently; the lifecycle runs as many at
/// once as --concurrency allows (the others wait for a slot) and each gets its answer as soon as the runtime posts it.
/// </summary>
public sealed class InvokeServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private InvokeServer(WebApplication app) => _app = app;

    /// <summary>The port it listens on: the one asked for, or the one the system picked for port 0.</summary>
    public int Port => new Uri(_app.Urls.First()).Port;

    public static async Task<InvokeServer> StartAsync(int port, LifecycleController lifecycle, LambdaLog log, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var server = new InvokeServer(app);
        app.MapPost("/2015-03-31/functions/{name}/invocations", context => server.InvokeAsync(context, lifecycle, log));
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(stop.Token).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private async Task InvokeAsync(HttpContext context, LifecycleController lifecycle, LambdaLog log)
    {
        using var reader = new StreamReader(context.Request.Body);
        var payload = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        if (payload.Length == 0)
        {
            payload = "{}";
        }

        // The invoke runs to its end even if the caller goes away, as in Lambda.
        var outcome = await lifecycle.InvokeAsync(payload, answered => log.Result(ResultLine.For(answered)), CancellationToken.None).ConfigureAwait(false);
        context.Response.Headers["X-Amzn-RequestId"] = outcome.RequestId;
        if (outcome.IsError)
        {
            context.Response.Headers["X-Amz-Function-Error"] = "Unhandled";
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(outcome.Body, CancellationToken.None).ConfigureAwait(false);
    }
}
