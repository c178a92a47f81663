using System.Globalization;
using System.Text.Json;
using LambdaEmulator.Tests.Harness;

namespace LambdaEmulator.Tests;

/// <summary>Behaviour 8: Telemetry API subscriptions get platform events and log lines over HTTP.</summary>
public sealed class TelemetryTests
{
    private const string Subscribe = """
        CODE=$(curl -sS -o "$TMPDIR/subscribe-body" -w '%{http_code}' -X PUT "http://${AWS_LAMBDA_RUNTIME_API}/2022-07-01/telemetry" -H "Lambda-Extension-Identifier: $ID" -d "{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\",\"function\",\"extension\"],\"buffering\":{\"maxItems\":$MAX_ITEMS,\"maxBytes\":262144,\"timeoutMs\":25},\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox.localdomain:$TELEMETRY_PORT/telemetry\"}}")
        echo "[ext] subscribe $CODE $(cat "$TMPDIR/subscribe-body")"
        echo "[ext] subscribed"
        """;

    [Fact]
    public async Task Subscriber_receives_platform_events_and_log_lines_within_the_buffering_timeout()
    {
        using var receiver = new TelemetryReceiver();
        using var sandbox = new TestSandbox();
        var gate = Path.Combine(sandbox.Shared, "report-1-received");
        sandbox.Extension("ext", Scripts.Extension(afterRegister: Subscribe))
            .Runtime(Scripts.Runtime(handler: """
                echo "[runtime] hello from the function $EVENT"
                # The second invoke holds until the test has received the first REPORT: delivery may not wait for SHUTDOWN.
                if [[ "$EVENT" == *two* ]]; then while [ ! -f "$GATE" ]; do sleep 0.02; done; fi
                """));
        await using var emulator = EmulatorProcess.Start(sandbox.Args(
            "--env", $"TELEMETRY_PORT={receiver.Port}", "--env", "MAX_ITEMS=1000", "--env", $"GATE={gate}",
            "--invoke", "\"one\"", "--invoke", "\"two\""));

        var report = await receiver.Events.WaitForAsync(e => e.Contains("\"type\":\"platform.report\"", StringComparison.Ordinal), Generous.Wait, "platform.report");
        await File.WriteAllTextAsync(gate, "");
        var result = await emulator.WaitForExitAsync(Generous.Wait);

        Assert.True(result.ExitCode == 0, result.Transcript);
        Assert.Contains(result.Stdout, l => l.StartsWith("[ext] subscribe 200 ", StringComparison.Ordinal));
        using (var json = JsonDocument.Parse(report))
        {
            var record = json.RootElement.GetProperty("record");
            Assert.Equal("success", record.GetProperty("status").GetString());
            Assert.Equal(128, record.GetProperty("metrics").GetProperty("memorySizeMB").GetInt32());
            Assert.True(record.GetProperty("metrics").GetProperty("durationMs").GetDouble() > 0);
            Assert.True(DateTimeOffset.TryParse(json.RootElement.GetProperty("time").GetString(), CultureInfo.InvariantCulture, out _));
        }

        var events = receiver.Events.Lines;
        // INIT events published before the subscription existed are delivered too, as Lambda does.
        Assert.Contains(events, e => e.Contains("\"type\":\"platform.initStart\"", StringComparison.Ordinal));
        Assert.Contains(events, e => e.Contains("\"type\":\"platform.telemetrySubscription\"", StringComparison.Ordinal));
        Assert.Contains(events, e => e.Contains("\"type\":\"platform.initReport\"", StringComparison.Ordinal));
        Assert.Contains(events, e => e.Contains("\"type\":\"platform.start\"", StringComparison.Ordinal));
        Assert.Contains(events, e => e.Contains("\"type\":\"platform.runtimeDone\"", StringComparison.Ordinal));
        Assert.Contains(events, e => e.Contains("\"type\":\"function\"", StringComparison.Ordinal) && e.Contains("[runtime] hello from the function", StringComparison.Ordinal));
        Assert.Contains(events, e => e.Contains("\"type\":\"extension\"", StringComparison.Ordinal) && e.Contains("[ext] subscribed", StringComparison.Ordinal));
        Assert.Equal(2, events.Count(e => e.Contains("\"type\":\"platform.report\"", StringComparison.Ordinal)));
        lock (receiver.BatchSizes)
        {
            Assert.All(receiver.BatchSizes, size => Assert.InRange(size, 1, 1000));
        }
    }

    [Fact]
    public async Task Buffering_outside_lambda_limits_is_rejected()
    {
        using var receiver = new TelemetryReceiver();
        using var sandbox = new TestSandbox();
        sandbox.Extension("ext", Scripts.Extension(afterRegister: Subscribe)).Runtime(Scripts.Runtime());

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--env", $"TELEMETRY_PORT={receiver.Port}", "--env", "MAX_ITEMS=5", "--invoke", "{}"));

        Assert.Contains(result.Stdout, l => l.StartsWith("[ext] subscribe 400 ", StringComparison.Ordinal) && l.Contains("maxItems", StringComparison.Ordinal));
    }
}
