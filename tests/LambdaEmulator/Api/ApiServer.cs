using System.Net;
using LambdaEmulator.Lifecycle;
using LambdaEmulator.Logs;
using LambdaEmulator.Telemetry;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace LambdaEmulator.Api;

/// <summary>
/// The sandbox's API endpoint (AWS_LAMBDA_RUNTIME_API): Runtime, Extensions, Telemetry and Logs APIs on one
/// listener on a free loopback port, as Lambda serves them on one address.
/// </summary>
public sealed class ApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ApiServer(WebApplication app) => _app = app;

    public string Address { get; private set; } = "";

    public static async Task<ApiServer> StartAsync(LifecycleController lifecycle, TelemetryHub telemetry, LambdaLog log, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0);
            // Long polls (next) stay open for as long as the sandbox is frozen.
            kestrel.Limits.KeepAliveTimeout = TimeSpan.FromHours(1);
        });
        var app = builder.Build();
        RuntimeApiEndpoints.Map(app, lifecycle, log);
        ExtensionsApiEndpoints.Map(app, lifecycle);
        TelemetryApiEndpoints.Map(app, lifecycle, telemetry);
        if (lifecycle.Credentials is { } credentials)
        {
            CredentialsEndpoint.Map(app, credentials);
        }

        if (!lifecycle.IsManagedInstances)
        {
            // Lambda Managed Instances have no Logs API: 404 there, as on LMI.
            LogsApiEndpoints.Map(app, lifecycle, telemetry);
        }
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ApiServer(app) { Address = new Uri(address).Authority };
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(stop.Token).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
