using System.Text.Json;
using System.Text.Json.Nodes;
using LambdaEmulator.Lifecycle;
using LambdaEmulator.Telemetry;

namespace LambdaEmulator.Api;

/// <summary>Telemetry API 2022-07-01: subscriptions of registered extensions.</summary>
public static class TelemetryApiEndpoints
{
    /// <summary>The schema Lambda Managed Instances require (the Telemetry API reference); on demand accepts it too.</summary>
    public const string ManagedInstancesSchemaVersion = "2025-01-29";

    private static readonly string[] SchemaVersions = ["2022-07-01", "2022-12-13", ManagedInstancesSchemaVersion];

    public static void Map(IEndpointRouteBuilder routes, LifecycleController lifecycle, TelemetryHub telemetry)
    {
        routes.MapPut("/2022-07-01/telemetry", context => SubscribeAsync(context, lifecycle, telemetry, SubscriptionApi.Telemetry));
    }

    /// <summary>
    /// A subscription through either API (their bodies share types, buffering and destination): validated as Lambda
    /// does, then answered 200 "OK" and announced with platform.telemetrySubscription or platform.logsSubscription.
    /// </summary>
    public static async Task SubscribeAsync(HttpContext context, LifecycleController lifecycle, TelemetryHub telemetry, SubscriptionApi api)
    {
        var state = lifecycle.Current;
        if (await ExtensionsApiEndpoints.FindAgentAsync(context, state).ConfigureAwait(false) is not { } agent)
        {
            return;
        }

        TelemetrySubscribeRequest? request;
        try
        {
            request = JsonSerializer.Deserialize(await ApiResults.ReadBodyAsync(context).ConfigureAwait(false), ApiJsonContext.Default.TelemetrySubscribeRequest);
        }
        catch (JsonException e)
        {
            await ApiResults.WriteErrorAsync(context, 400, "ValidationError", e.Message).ConfigureAwait(false);
            return;
        }

        var categories = new HashSet<TelemetryCategory>();
        foreach (var type in request?.Types ?? [])
        {
            if (!Enum.TryParse<TelemetryCategory>(type, ignoreCase: true, out var category) || !Enum.IsDefined(category))
            {
                await ApiResults.WriteErrorAsync(context, 400, "ValidationError", $"Unknown telemetry type '{type}'").ConfigureAwait(false);
                return;
            }

            categories.Add(category);
        }

        if (api == SubscriptionApi.Telemetry && SchemaVersionError(request?.SchemaVersion, lifecycle.IsManagedInstances) is { } schemaError)
        {
            await ApiResults.WriteErrorAsync(context, 400, "ValidationError", schemaError).ConfigureAwait(false);
            return;
        }

        if (categories.Count == 0)
        {
            // Lambda's own message (Telemetry API reference).
            await ApiResults.WriteErrorAsync(context, 400, "ValidationError", "types should not be empty").ConfigureAwait(false);
            return;
        }

        var defaults = TelemetryBuffering.Default;
        var buffering = new TelemetryBuffering(
            request?.Buffering?.MaxItems ?? defaults.MaxItems, request?.Buffering?.MaxBytes ?? defaults.MaxBytes,
            request?.Buffering?.TimeoutMs ?? defaults.TimeoutMs);
        if (buffering.Validate() is { } invalid)
        {
            await ApiResults.WriteErrorAsync(context, 400, "ValidationError", invalid).ConfigureAwait(false);
            return;
        }

        var (destination, invalidDestination) = TelemetryDestination.Validate(request?.Destination);
        if (destination is null)
        {
            await ApiResults.WriteErrorAsync(context, 400, "ValidationError", invalidDestination!).ConfigureAwait(false);
            return;
        }

        telemetry.Subscribe(agent.Name, api, categories, buffering, destination);
        telemetry.Publish(TelemetryCategory.Platform, api.SubscriptionEvent(), new JsonObject
        {
            ["name"] = agent.Name, ["state"] = "Subscribed",
            ["types"] = new JsonArray([.. categories.Select(c => JsonValue.Create(c.ToString().ToLowerInvariant()))]),
        });
        await ApiResults.WriteJsonAsync(context, "\"OK\"").ConfigureAwait(false);
    }

    /// <summary>
    /// schemaVersion: one of the published versions; on Managed Instances only 2025-01-29. A missing version is
    /// tolerated on demand (the reference marks it required; the emulator is lenient there).
    /// </summary>
    private static string? SchemaVersionError(string? version, bool managedInstances)
    {
        if (managedInstances && version != ManagedInstancesSchemaVersion)
        {
            return $"schemaVersion must be {ManagedInstancesSchemaVersion} on Lambda Managed Instances, got '{version}'";
        }

        return version is null || SchemaVersions.Contains(version)
            ? null
            : $"schemaVersion must be one of {string.Join(", ", SchemaVersions)}, got '{version}'";
    }
}
