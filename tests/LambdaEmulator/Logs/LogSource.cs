namespace LambdaEmulator.Logs;

/// <summary>Who wrote a log line; decides the Telemetry API type ("function" or "extension").</summary>
public enum LogSource
{
    Runtime,
    Extension,
}
