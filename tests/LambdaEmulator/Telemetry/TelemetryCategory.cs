namespace LambdaEmulator.Telemetry;

/// <summary>The "types" a Telemetry API subscription can ask for.</summary>
public enum TelemetryCategory
{
    Platform,
    Function,
    Extension,
}
