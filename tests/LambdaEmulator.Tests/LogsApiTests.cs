using System.Text.Json;
using LambdaEmulator.Tests.Harness;

namespace LambdaEmulator.Tests;

/// <summary>The Logs API (2020-08-15), still served on demand, delivers over the Telemetry machinery.</summary>
public sealed class LogsApiTests
{
    // The subscription of AWS's Logs API samples (schemaVersion 2021-03-18, destination on sandbox.localdomain).
    private const string Subscribe = """
        CODE=$(curl -sS -o "$TMPDIR/subscribe-body" -w '%{http_code}' -X PUT "http://${AWS_LAMBDA_RUNTIME_API}/2020-08-15/logs" -H "Lambda-Extension-Identifier: $ID" -d "{\"schemaVersion\":\"2021-03-18\",\"types\":[\"platform\",\"function\"],\"buffering\":{\"maxItems\":1000,\"maxBytes\":262144,\"timeoutMs\":25},\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox.localdomain:$LOGS_PORT/lambda_logs\"}}")
        echo "[ext] subscribe $CODE $(cat "$TMPDIR/subscribe-body")"
        """;

    [Fact]
    public async Task Logs_api_subscriber_gets_function_lines_and_the_logs_api_platform_events()
    {
        using var receiver = new TelemetryReceiver();
        using var sandbox = new TestSandbox();
        sandbox.Extension("ext", Scripts.Extension(afterRegister: Subscribe))
            .Runtime(Scripts.Runtime(handler: """echo "[runtime] handling $EVENT" """));

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--env", $"LOGS_PORT={receiver.Port}", "--invoke", "\"one\""));

        Assert.True(result.ExitCode == 0, result.Transcript);
        Assert.Contains("[ext] subscribe 200 \"OK\"", result.Stdout);
        var types = receiver.Events.Lines.Select(e => JsonDocument.Parse(e).RootElement.GetProperty("type").GetString()).ToList();
        Assert.Contains(receiver.Events.Lines, e => e.Contains("\"type\":\"function\"", StringComparison.Ordinal) && e.Contains("[runtime] handling ", StringComparison.Ordinal));
        Assert.Contains("platform.logsSubscription", types);
        Assert.Contains("platform.start", types);
        Assert.Contains("platform.report", types);
        // Telemetry API only: INIT events and the telemetry subscription event; no extension lines (not asked for).
        Assert.DoesNotContain("platform.initStart", types);
        Assert.DoesNotContain("platform.telemetrySubscription", types);
        Assert.DoesNotContain("extension", types);
    }
}
