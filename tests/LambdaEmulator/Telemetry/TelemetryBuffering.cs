namespace LambdaEmulator.Telemetry;

/// <summary>Batching limits of one subscription; the ranges are the ones Lambda enforces.</summary>
public sealed record TelemetryBuffering(int MaxItems, int MaxBytes, int TimeoutMs)
{
    public static TelemetryBuffering Default { get; } = new(10_000, 262_144, 1_000);

    public string? Validate() =>
        MaxItems is < 1_000 or > 10_000 ? "buffering.maxItems must be between 1000 and 10000"
        : MaxBytes is < 262_144 or > 1_048_576 ? "buffering.maxBytes must be between 262144 and 1048576"
        : TimeoutMs is < 25 or > 30_000 ? "buffering.timeoutMs must be between 25 and 30000"
        : null;
}
