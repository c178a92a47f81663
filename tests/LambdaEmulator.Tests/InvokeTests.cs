using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using LambdaEmulator.Tests.Harness;

namespace LambdaEmulator.Tests;

/// <summary>Behaviour 3: the INVOKE reaches the runtime and the extensions; it ends when all are done, or times out.</summary>
public sealed partial class InvokeTests
{
    // A common Lambda setting, and far more than these scripts need: an invoke that must not time out has room.
    private const int FunctionTimeoutSeconds = 30;
    private const long FunctionTimeoutMs = FunctionTimeoutSeconds * 1000L;
    private static readonly string FunctionTimeout = FunctionTimeoutSeconds.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task Runtime_gets_the_event_with_every_runtime_api_header()
    {
        using var sandbox = new TestSandbox();
        sandbox.Runtime(Scripts.Runtime(handler: """
            tr -d '\r' < "$HEADERS" | grep -i '^Lambda-Runtime-' | sed 's/^/[runtime] header /'
            """));
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--function-name", "my-fn", "--timeout", FunctionTimeout, "--invoke", """{"k":"v"}"""));
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        Assert.True(result.ExitCode == 0, result.Transcript);
        var headers = result.Stdout.Where(l => l.StartsWith("[runtime] header ", StringComparison.Ordinal))
            .Select(l => l["[runtime] header ".Length..].Split(": ", 2))
            .ToDictionary(p => p[0], p => p[1], StringComparer.OrdinalIgnoreCase);
        var requestId = RequestIdOf(Assert.Single(result.Matching("START ")));
        Assert.Equal(requestId, headers["Lambda-Runtime-Aws-Request-Id"]);
        Assert.Equal("arn:aws:lambda:us-east-1:123456789012:function:my-fn", headers["Lambda-Runtime-Invoked-Function-Arn"]);
        Assert.StartsWith("Root=1-", headers["Lambda-Runtime-Trace-Id"], StringComparison.Ordinal);
        // The deadline is the invoke's start plus the timeout, and the invoke started while the emulator ran.
        var deadline = long.Parse(headers["Lambda-Runtime-Deadline-Ms"], CultureInfo.InvariantCulture);
        Assert.InRange(deadline, before + FunctionTimeoutMs, after + FunctionTimeoutMs);
        Assert.Equal($"RESPONSE RequestId: {requestId} {{\"echo\":{{\"k\":\"v\"}}}}", Assert.Single(result.Matching("RESPONSE ")));
    }

    [Fact]
    public async Task Extensions_get_the_INVOKE_event_and_the_invoke_waits_for_their_next()
    {
        using var sandbox = new TestSandbox();
        sandbox.Extension("ext", Scripts.Extension(onInvoke: "sleep 0.4; echo \"[ext] finished invoke work\""))
            .Extension("shutdown-only", Scripts.Extension(events: """["SHUTDOWN"]"""))
            .Runtime(Scripts.Runtime());
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--function-name", "fn1", "--timeout", FunctionTimeout, "--invoke", "{}"));
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        Assert.True(result.ExitCode == 0, result.Transcript);
        var requestId = RequestIdOf(Assert.Single(result.Matching("START ")));
        var invoke = Assert.Single(result.Stdout, l => l.StartsWith("[ext] event ", StringComparison.Ordinal) && l.Contains("INVOKE", StringComparison.Ordinal));
        using var json = JsonDocument.Parse(invoke["[ext] event ".Length..]);
        var root = json.RootElement;
        Assert.Equal("INVOKE", root.GetProperty("eventType").GetString());
        Assert.Equal(requestId, root.GetProperty("requestId").GetString());
        Assert.Equal("arn:aws:lambda:us-east-1:123456789012:function:fn1", root.GetProperty("invokedFunctionArn").GetString());
        Assert.InRange(root.GetProperty("deadlineMs").GetInt64(), before + FunctionTimeoutMs, after + FunctionTimeoutMs);
        Assert.Equal("X-Amzn-Trace-Id", root.GetProperty("tracing").GetProperty("type").GetString());
        Assert.StartsWith("Root=1-", root.GetProperty("tracing").GetProperty("value").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(result.Stdout, l => l.StartsWith("[shutdown-only] event", StringComparison.Ordinal) && l.Contains("INVOKE", StringComparison.Ordinal));

        Assert.True(result.IndexOf("[ext] finished invoke work") < result.IndexOf("END RequestId:"), result.Transcript);
        var report = Assert.Single(result.Matching("REPORT "));
        Assert.True(double.Parse(Duration().Match(report).Groups[1].Value, CultureInfo.InvariantCulture) >= 400, report);
    }

    [Fact]
    public async Task Function_timeout_is_enforced()
    {
        using var sandbox = new TestSandbox();
        sandbox.Runtime(Scripts.Runtime(handler: TimedOutInvoke.HangHandler));

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--timeout", TimedOutInvoke.Argument, "--invoke", "\"hang\"", "--invoke", "\"fine\""));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(result.Stdout, l => l.EndsWith($"Task timed out after {TimedOutInvoke.Seconds} seconds", StringComparison.Ordinal));
        var reports = result.Matching("REPORT ");
        Assert.Equal(2, reports.Count);
        Assert.EndsWith("Status: timeout", reports[0], StringComparison.Ordinal);
        AssertEndedByTheTimeout(reports[0], TimedOutInvoke.TimeoutSeconds);
        var results = result.Stdout.Where(l => l.StartsWith("ERROR ", StringComparison.Ordinal) || l.StartsWith("RESPONSE ", StringComparison.Ordinal)).ToList();
        Assert.StartsWith("ERROR RequestId: ", results[0], StringComparison.Ordinal);
        Assert.Contains("Sandbox.Timedout", results[0], StringComparison.Ordinal);
        // After the timeout the sandbox is reset: INIT runs again for the next invoke, which succeeds.
        Assert.EndsWith("{\"echo\":\"fine\"}", results[1], StringComparison.Ordinal);
        Assert.Equal(2, result.Matching("INIT_START ").Count);
    }

    [Fact]
    public async Task Without_a_timeout_option_an_invoke_gets_lambdas_default_of_3_s()
    {
        using var sandbox = new TestSandbox();
        sandbox.Runtime(Scripts.Runtime(handler: TimedOutInvoke.HangHandler));
        var initTimeout = Generous.InitTimeoutSeconds.ToString(CultureInfo.InvariantCulture);

        // The emulator's own defaults, but for INIT (the invoke never answers, so no machine is too slow for this).
        var result = await EmulatorProcess.RunAsync(sandbox.Args("--init-timeout", initTimeout, "--invoke", "\"hang\""), generousLimits: false);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(result.Stdout, l => l.EndsWith("Task timed out after 3.00 seconds", StringComparison.Ordinal));
        var report = Assert.Single(result.Matching("REPORT "));
        Assert.EndsWith("Status: timeout", report, StringComparison.Ordinal);
        AssertEndedByTheTimeout(report, 3);
    }

    /// <summary>
    /// The REPORT's Duration: never shorter than the timeout, and later only by the time a busy machine takes to act
    /// on it (<see cref="Generous.Lateness"/>), far less than the hang the timeout cut short.
    /// </summary>
    private static void AssertEndedByTheTimeout(string report, int timeoutSeconds)
    {
        var duration = TimeSpan.FromMilliseconds(double.Parse(Duration().Match(report).Groups[1].Value, CultureInfo.InvariantCulture));
        Assert.InRange(duration, TimeSpan.FromSeconds(timeoutSeconds), TimeSpan.FromSeconds(timeoutSeconds) + Generous.Lateness);
    }

    internal static string RequestIdOf(string line) => RequestId().Match(line).Groups[1].Value;

    [GeneratedRegex(@"RequestId: ([0-9a-f-]{36})")]
    private static partial Regex RequestId();

    [GeneratedRegex(@" Duration: ([\d.]+) ms")]
    private static partial Regex Duration();
}
