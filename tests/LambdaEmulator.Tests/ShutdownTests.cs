using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using LambdaEmulator.Tests.Harness;

namespace LambdaEmulator.Tests;

/// <summary>Behaviour 5: SHUTDOWN event, SIGTERM to the runtime, SIGKILL at the 2,000 ms deadline.</summary>
public sealed partial class ShutdownTests
{
    // Curl runs in the background so that bash can run the TERM trap while it waits for the next event.
    internal const string TrappingRuntime = """
        #!/bin/bash
        API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
        trap 'echo "[runtime] got SIGTERM"; exit 0' TERM
        while true; do
          HEADERS=$(mktemp); BODY=$(mktemp)
          curl -sS -LD "$HEADERS" -o "$BODY" "$API/invocation/next" & wait $!
          REQUEST_ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
          curl -sS -o /dev/null -X POST "$API/invocation/$REQUEST_ID/response" -d "\"ok\""
        done
        """;

    [Fact]
    public async Task Extensions_get_SHUTDOWN_with_reason_and_deadline_and_the_runtime_gets_SIGTERM()
    {
        using var sandbox = new TestSandbox();
        // The clock read after the invoke (before the next that ends it) comes before SHUTDOWN starts; the one read
        // on the SHUTDOWN event comes after: the deadline is 2,000 ms after a moment between the two.
        sandbox.Extension("ext", Scripts.Extension(
                onInvoke: "echo \"[ext] invoke done $(date +%s%3N)\"", onShutdown: "echo \"[ext] now $(date +%s%3N)\""))
            .Extension("invoke-only", Scripts.Extension(events: """["INVOKE"]"""))
            .Runtime(TrappingRuntime);

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--invoke", "{}"));

        Assert.True(result.ExitCode == 0, result.Transcript);
        var shutdown = Assert.Single(result.Stdout, l => l.StartsWith("[ext] event ", StringComparison.Ordinal) && l.Contains("SHUTDOWN", StringComparison.Ordinal));
        using var json = JsonDocument.Parse(shutdown["[ext] event ".Length..]);
        Assert.Equal("spindown", json.RootElement.GetProperty("shutdownReason").GetString());
        var invokeDone = ClockOf(result, "[ext] invoke done ");
        var now = ClockOf(result, "[ext] now ");
        Assert.InRange(json.RootElement.GetProperty("deadlineMs").GetInt64(), invokeDone + 2_000, now + 2_000);
        Assert.Contains("[runtime] got SIGTERM", result.Stdout);
        // Not registered for SHUTDOWN: no event, killed.
        Assert.DoesNotContain(result.Stdout, l => l.StartsWith("[invoke-only] event", StringComparison.Ordinal) && l.Contains("SHUTDOWN", StringComparison.Ordinal));
        Assert.Contains(result.Stderr, l => l.Contains("invoke-only (pid ", StringComparison.Ordinal) && l.EndsWith("exited with status 137", StringComparison.Ordinal));
    }

    [Fact]
    public async Task What_still_runs_at_the_deadline_is_killed_after_2000_ms()
    {
        using var sandbox = new TestSandbox();
        sandbox.Extension("stubborn", Scripts.Extension(onShutdown: "echo \"[stubborn] ignoring\"; sleep infinity"))
            .Runtime(Scripts.Runtime());

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--invoke", "{}"));

        Assert.True(result.ExitCode == 0, result.Transcript);
        Assert.Contains("[stubborn] ignoring", result.Stdout);
        Assert.Contains(result.Stderr, l => l.Contains("SHUTDOWN reason=spindown budget=2000 ms", StringComparison.Ordinal));
        var shutdown = Assert.Single(result.Stdout, l => l.StartsWith("[stubborn] event ", StringComparison.Ordinal) && l.Contains("SHUTDOWN", StringComparison.Ordinal));
        using var json = JsonDocument.Parse(shutdown["[stubborn] event ".Length..]);
        var deadline = DateTimeOffset.FromUnixTimeMilliseconds(json.RootElement.GetProperty("deadlineMs").GetInt64());
        var killed = StampOf(Assert.Single(result.Stderr, l => l.Contains("SHUTDOWN deadline reached: SIGKILL stubborn", StringComparison.Ordinal)));

        // Not before the deadline (.NET timers may fire a few ms early: 100 ms allowed), and only as late as a busy
        // machine makes a timer; the extension itself would never stop.
        Assert.InRange(SignedTimeOfDayDifference(killed, deadline), TimeSpan.FromMilliseconds(-100), Generous.Lateness);
        Assert.Contains(result.Stderr, l => l.Contains("stubborn (pid ", StringComparison.Ordinal) && l.EndsWith("exited with status 137", StringComparison.Ordinal));
    }

    /// <summary>The clock an extension printed (<c>date +%s%3N</c>, Unix ms) on its one line starting with <paramref name="prefix"/>.</summary>
    private static long ClockOf(EmulatorResult result, string prefix) =>
        long.Parse(Assert.Single(result.Stdout, l => l.StartsWith(prefix, StringComparison.Ordinal))[prefix.Length..], CultureInfo.InvariantCulture);

    /// <summary><paramref name="stamp"/> (a UTC time of day) minus <paramref name="moment"/>'s UTC time of day, taken across midnight if need be.</summary>
    private static TimeSpan SignedTimeOfDayDifference(TimeSpan stamp, DateTimeOffset moment)
    {
        var difference = stamp - moment.UtcDateTime.TimeOfDay;
        return difference > TimeSpan.FromHours(12) ? difference - TimeSpan.FromDays(1)
            : difference < TimeSpan.FromHours(-12) ? difference + TimeSpan.FromDays(1)
            : difference;
    }

    private static TimeSpan StampOf(string line) =>
        TimeSpan.ParseExact(Stamp().Match(line).Groups[1].Value, @"hh\:mm\:ss\.fff", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^\[emulator (\d\d:\d\d:\d\d\.\d\d\d)\]")]
    private static partial Regex Stamp();
}
