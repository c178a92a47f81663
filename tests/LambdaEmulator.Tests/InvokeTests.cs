using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using LambdaEmulator.Tests.Harness;

namespace LambdaEmulator.Tests;

/// <summary>Behaviour 3: the INVOKE reaches the runtime and the extensions; it ends when all are done, or times out.</summary>
public sealed partial class InvokeTests
{
    [Fact]
    public async Task Runtime_gets_the_event_with_every_runtime_api_header()
    {
        using var sandbox = new TestSandbox();
        sandbox.Runtime(Scripts.Runtime(handler: """
            tr -d '\r' < "$HEADERS" | grep -i '^Lambda-Runtime-' | sed 's/^/[runtime] header /'
            """));
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--function-name", "my-fn", "--timeout", "5", "--invoke", """{"k":"v"}"""));

        Assert.True(result.ExitCode == 0, result.Transcript);
        var headers = result.Stdout.Where(l => l.StartsWith("[runtime] header ", StringComparison.Ordinal))
            .Select(l => l["[runtime] header ".Length..].Split(": ", 2))
            .ToDictionary(p => p[0], p => p[1], StringComparer.OrdinalIgnoreCase);
        var requestId = RequestIdOf(Assert.Single(result.Matching("START ")));
        Assert.Equal(requestId, headers["Lambda-Runtime-Aws-Request-Id"]);
        Assert.Equal("arn:aws:lambda:us-east-1:123456789012:function:my-fn", headers["Lambda-Runtime-Invoked-Function-Arn"]);
        Assert.StartsWith("Root=1-", headers["Lambda-Runtime-Trace-Id"], StringComparison.Ordinal);
        var deadline = long.Parse(headers["Lambda-Runtime-Deadline-Ms"], CultureInfo.InvariantCulture);
        Assert.InRange(deadline - before, 4_000, 20_000);
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

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--function-name", "fn1", "--invoke", "{}"));

        Assert.True(result.ExitCode == 0, result.Transcript);
        var requestId = RequestIdOf(Assert.Single(result.Matching("START ")));
        var invoke = Assert.Single(result.Stdout, l => l.StartsWith("[ext] event ", StringComparison.Ordinal) && l.Contains("INVOKE", StringComparison.Ordinal));
        using var json = JsonDocument.Parse(invoke["[ext] event ".Length..]);
        var root = json.RootElement;
        Assert.Equal("INVOKE", root.GetProperty("eventType").GetString());
        Assert.Equal(requestId, root.GetProperty("requestId").GetString());
        Assert.Equal("arn:aws:lambda:us-east-1:123456789012:function:fn1", root.GetProperty("invokedFunctionArn").GetString());
        Assert.InRange(root.GetProperty("deadlineMs").GetInt64() - before, 2_000, 20_000);
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
        sandbox.Runtime(Scripts.Runtime(handler: """if [[ "$EVENT" == *hang* ]]; then sleep 30; fi"""));

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--timeout", "1", "--invoke", "\"hang\"", "--invoke", "\"fine\""));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(result.Stdout, l => l.EndsWith("Task timed out after 1.00 seconds", StringComparison.Ordinal));
        var reports = result.Matching("REPORT ");
        Assert.Equal(2, reports.Count);
        Assert.EndsWith("Status: timeout", reports[0], StringComparison.Ordinal);
        var duration = double.Parse(Duration().Match(reports[0]).Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(duration, 1_000, 2_500);
        var results = result.Stdout.Where(l => l.StartsWith("ERROR ", StringComparison.Ordinal) || l.StartsWith("RESPONSE ", StringComparison.Ordinal)).ToList();
        Assert.StartsWith("ERROR RequestId: ", results[0], StringComparison.Ordinal);
        Assert.Contains("Sandbox.Timedout", results[0], StringComparison.Ordinal);
        // After the timeout the sandbox is reset: INIT runs again for the next invoke, which succeeds.
        Assert.EndsWith("{\"echo\":\"fine\"}", results[1], StringComparison.Ordinal);
        Assert.Equal(2, result.Matching("INIT_START ").Count);
    }

    internal static string RequestIdOf(string line) => RequestId().Match(line).Groups[1].Value;

    [GeneratedRegex(@"RequestId: ([0-9a-f-]{36})")]
    private static partial Regex RequestId();

    [GeneratedRegex(@" Duration: ([\d.]+) ms")]
    private static partial Regex Duration();
}
