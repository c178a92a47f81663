using System.Text.Json.Nodes;
using LambdaEmulator.Telemetry;

namespace LambdaEmulator.Logs;

/// <summary>
/// The function's log stream as CloudWatch would show it (stdout, line-atomic) plus the emulator's own
/// diagnostics (stderr). Platform lines and process lines are also published to Telemetry API subscribers.
/// </summary>
public sealed class LambdaLog(TextWriter stdout, TextWriter stderr, TelemetryHub telemetry, TimeProvider time)
{
    private readonly Lock _gate = new();

    public void Platform(string line) => Write(stdout, line);

    public void PlatformEvent(string type, JsonObject record) => telemetry.Publish(TelemetryCategory.Platform, type, record);

    public void ProcessLine(LogSource source, string line)
    {
        Write(stdout, line);
        var category = source == LogSource.Runtime ? TelemetryCategory.Function : TelemetryCategory.Extension;
        telemetry.Publish(category, category == TelemetryCategory.Function ? "function" : "extension", JsonValue.Create(line));
    }

    /// <summary>RESPONSE/ERROR lines of one-shot mode: the emulator's own output, not part of CloudWatch.</summary>
    public void Result(string line) => Write(stdout, line);

    public void Debug(string message) => Write(stderr, $"[emulator {time.GetUtcNow():HH:mm:ss.fff}] {message}");

    private void Write(TextWriter writer, string line)
    {
        lock (_gate)
        {
            writer.WriteLine(line);
            writer.Flush();
        }
    }
}
