namespace LambdaEmulator.Telemetry;

/// <summary>
/// The API a subscription was made with: the Telemetry API (2022-07-01) or the older Logs API (2020-08-15), which
/// shares its buffering and destination rules but knows fewer platform events.
/// </summary>
public enum SubscriptionApi
{
    Telemetry,
    Logs,
}

public static class SubscriptionApiEvents
{
    // The Logs API's platform events (schema 2021-03-18); the INIT events and telemetrySubscription are Telemetry API only.
    private static readonly HashSet<string> LogsPlatformEvents =
        ["platform.start", "platform.end", "platform.report", "platform.runtimeDone", "platform.extension", "platform.logsSubscription", "platform.fault"];

    /// <summary>The platform.*Subscription event a subscription publishes.</summary>
    public static string SubscriptionEvent(this SubscriptionApi api) =>
        api == SubscriptionApi.Logs ? "platform.logsSubscription" : "platform.telemetrySubscription";

    /// <summary>Whether subscribers of this API get an event of that type (log lines always; platform events per API).</summary>
    public static bool Delivers(this SubscriptionApi api, string type) =>
        !type.StartsWith("platform.", StringComparison.Ordinal)
        || (api == SubscriptionApi.Logs ? LogsPlatformEvents.Contains(type) : type != "platform.logsSubscription");
}
