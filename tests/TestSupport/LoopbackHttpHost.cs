using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace ExtensionCache.TestSupport;

/// <summary>
/// An in-process HTTP/1.1 server (Kestrel) on 127.0.0.1 running one request handler. It binds port 0 and reads the
/// port back, so no other process can take the port between choosing and binding it. No minimum data rates:
/// the test servers built on it trickle and stall on purpose.
/// </summary>
public sealed class LoopbackHttpHost : IAsyncDisposable, IDisposable
{
    private static readonly TimeSpan StopBound = TimeSpan.FromSeconds(5);

    private readonly WebApplication _app;

    private LoopbackHttpHost(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    /// <summary><c>http://127.0.0.1:port/</c>.</summary>
    public Uri BaseUri => new($"http://127.0.0.1:{Port}/");

    /// <summary>Starts serving with <paramref name="handler"/>; returns once the port is bound.</summary>
    public static async Task<LoopbackHttpHost> StartAsync(RequestDelegate handler)
    {
        // The empty builder: no configuration files, environment variables or logging to reach into a test server.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MinRequestBodyDataRate = null;
            kestrel.Limits.MinResponseDataRate = null;
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http1);
        });
        var app = builder.Build();
        app.Run(handler);
        try
        {
            await app.StartAsync().ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new LoopbackHttpHost(app, new Uri(app.Urls.Single()).Port);
    }

    /// <summary>For servers started from a constructor (run off the caller's synchronization context).</summary>
    public static LoopbackHttpHost Start(RequestDelegate handler) =>
        Task.Run(() => StartAsync(handler)).GetAwaiter().GetResult();

    /// <summary>Stops accepting; requests still running after a few seconds have their connections aborted.</summary>
    public async ValueTask DisposeAsync()
    {
        using (var bound = new CancellationTokenSource(StopBound))
        {
            await _app.StopAsync(bound.Token).ConfigureAwait(false);
        }

        await _app.DisposeAsync().ConfigureAwait(false);
    }

    public void Dispose() => Task.Run(() => DisposeAsync().AsTask()).GetAwaiter().GetResult();
}
