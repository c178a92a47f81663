using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace ExtensionCache.TestSupport;

/// <summary>
/// What every test proxy in front of a real server shares: Kestrel on 127.0.0.1 (a port it picks itself) running one
/// handler, and YARP's forwarder to the target, which sends a request on untouched with the Host header as the client
/// sent it (so a SigV4 signature made for the proxy's address stays valid).
/// </summary>
public sealed class ForwardingServer : IAsyncDisposable
{
    private readonly string _target;
    private readonly HttpMessageInvoker _upstream = new(new SocketsHttpHandler
    {
        UseProxy = false,
        UseCookies = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        ConnectTimeout = TimeSpan.FromSeconds(5),
    });

    private WebApplication? _app;

    private ForwardingServer(Uri target) => _target = target.GetLeftPart(UriPartial.Authority);

    /// <summary>Where clients connect: <c>http://127.0.0.1:port</c>.</summary>
    public Uri Endpoint { get; private set; } = new("http://127.0.0.1");

    /// <summary>Starts serving with <paramref name="handler"/>, which calls <see cref="ForwardAsync"/> for what it lets through; returns once the port is bound.</summary>
    public static async Task<ForwardingServer> StartAsync(Uri target, RequestDelegate handler)
    {
        ArgumentNullException.ThrowIfNull(target);
        var server = new ForwardingServer(target);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Services.AddHttpForwarder();
        var app = builder.Build();
        app.Run(handler);
        server._app = app;
        try
        {
            await app.StartAsync().ConfigureAwait(false);
            server.Endpoint = new Uri(app.Urls.Single());
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Sends the request on to the target and its answer back.</summary>
    public async Task ForwardAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var forwarder = context.RequestServices.GetRequiredService<IHttpForwarder>();
        await forwarder.SendAsync(
            context,
            _target,
            _upstream,
            ForwarderRequestConfig.Empty,
            (incoming, outgoing) =>
            {
                outgoing.Headers.Host = incoming.Request.Host.Value;
                return ValueTask.CompletedTask;
            }).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }

        _upstream.Dispose();
    }
}
