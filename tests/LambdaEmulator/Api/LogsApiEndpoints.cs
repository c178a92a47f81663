using LambdaEmulator.Lifecycle;
using LambdaEmulator.Telemetry;

namespace LambdaEmulator.Api;

/// <summary>
/// Logs API 2020-08-15, superseded by the Telemetry API but still served by Lambda on demand: the same
/// subscription body, delivered by the Telemetry machinery with the Logs API's set of platform events.
/// </summary>
public static class LogsApiEndpoints
{
    public static void Map(IEndpointRouteBuilder routes, LifecycleController lifecycle, TelemetryHub telemetry) =>
        routes.MapPut("/2020-08-15/logs", context => TelemetryApiEndpoints.SubscribeAsync(context, lifecycle, telemetry, SubscriptionApi.Logs));
}
