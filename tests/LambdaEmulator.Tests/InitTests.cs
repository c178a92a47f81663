using System.Globalization;
using System.Text.RegularExpressions;
using LambdaEmulator.Tests.Harness;

namespace LambdaEmulator.Tests;

/// <summary>Behaviour 1: INIT starts extensions, then the runtime, and ends when everyone has called next.</summary>
public sealed partial class InitTests
{
    [Fact]
    public async Task Runtime_starts_only_after_every_extension_registered()
    {
        using var sandbox = new TestSandbox();
        // The extension does its (slow) work before registering, so the runtime must see its result.
        sandbox.Extension("slow", Scripts.Extension(beforeRegister: "sleep 0.5; echo done > \"$TMPDIR/slow-ready\""))
            .Extension("fast", Scripts.Extension())
            .Runtime(Scripts.Runtime(init: """
                if [ -f "$TMPDIR/slow-ready" ]; then echo "[runtime] saw slow-ready"; else echo "[runtime] slow-ready missing"; fi
                """));

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--invoke", "{}"));

        Assert.True(result.ExitCode == 0, result.Transcript);
        Assert.Contains("[runtime] saw slow-ready", result.Stdout);
        var runtimeStarted = result.Stderr.ToList().FindIndex(l => l.Contains("started runtime", StringComparison.Ordinal));
        Assert.True(runtimeStarted > result.Stderr.ToList().FindIndex(l => l.Contains("started slow", StringComparison.Ordinal)), result.Transcript);
    }

    [Fact]
    public async Task Init_ends_only_when_extensions_have_called_next()
    {
        using var sandbox = new TestSandbox();
        // Work after register overlaps the runtime's init but still holds INIT (and the first invoke) back.
        sandbox.Extension("late", Scripts.Extension(afterRegister: "sleep 0.6; echo \"[late] init work done\""))
            .Runtime(Scripts.Runtime());

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--invoke", "{}"));

        Assert.True(result.ExitCode == 0, result.Transcript);
        Assert.True(result.IndexOf("[late] init work done") < result.IndexOf("START RequestId:"), result.Transcript);
        var report = Assert.Single(result.Matching("REPORT "));
        var init = double.Parse(InitDuration().Match(report).Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(init >= 600, report);
    }

    [Fact]
    public async Task Extension_without_exec_bit_is_a_launch_error()
    {
        using var sandbox = new TestSandbox();
        sandbox.Extension("noexec", Scripts.Extension(), executable: false).Runtime(Scripts.Runtime());

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--invoke", "{}"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("EXTENSION Name: noexec State: LaunchError Events: [] Error Type: PermissionDenied", result.Stdout);
        Assert.Contains(result.Stdout, l => l.StartsWith("INIT_REPORT Init Duration: ", StringComparison.Ordinal)
            && l.EndsWith("Phase: init Status: error Error Type: Extension.LaunchError", StringComparison.Ordinal));
        Assert.Contains(result.Stdout, l => l.StartsWith("ERROR RequestId: ", StringComparison.Ordinal) && l.Contains("Extension.LaunchError", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Registration_after_init_is_closed()
    {
        using var sandbox = new TestSandbox();
        sandbox.Extension("ext", Scripts.Extension())
            .Runtime(Scripts.Runtime(handler: """
                CODE=$(curl -sS -o "$TMPDIR/late-body" -w '%{http_code}' -X POST "http://${AWS_LAMBDA_RUNTIME_API}/2020-01-01/extension/register" -H "Lambda-Extension-Name: ext" -d '{"events":["INVOKE"]}')
                RESPONSE="{\"code\":$CODE,\"body\":$(cat "$TMPDIR/late-body")}"
                """));

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--invoke", "{}"));

        Assert.True(result.ExitCode == 0, result.Transcript);
        var response = Assert.Single(result.Matching("RESPONSE "));
        Assert.Contains("\"code\":403", response, StringComparison.Ordinal);
        Assert.Contains("\"errorType\":\"Extension.RegistrationClosed\"", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_timeout_is_reported_and_init_is_retried_at_the_invoke()
    {
        using var sandbox = new TestSandbox();
        sandbox.Extension("stuck", Scripts.Extension(beforeRegister: "sleep 30")).Runtime(Scripts.Runtime());

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--init-timeout", "0.5", "--timeout", "0.7", "--invoke", "{}"));

        Assert.Equal(1, result.ExitCode);
        var reports = result.Matching("INIT_REPORT ");
        Assert.Equal(2, reports.Count);
        Assert.EndsWith("Phase: init Status: timeout", reports[0], StringComparison.Ordinal);
        Assert.EndsWith("Phase: invoke Status: timeout", reports[1], StringComparison.Ordinal);
        Assert.Equal(2, result.Matching("INIT_START ").Count);
        // The retried INIT's own timeout decides the status (its timer may fire a few ms early), and the invoke is
        // never reported shorter than the function timeout.
        var report = Assert.Single(result.Matching("REPORT "));
        Assert.EndsWith("Status: timeout", report, StringComparison.Ordinal);
        Assert.True(double.Parse(Duration().Match(report).Groups[1].Value, CultureInfo.InvariantCulture) >= 700, report);
        Assert.Contains(result.Stdout, l => l.StartsWith("ERROR RequestId: ", StringComparison.Ordinal) && l.Contains("Task timed out after 0.70 seconds", StringComparison.Ordinal));
    }

    [GeneratedRegex(@"Init Duration: ([\d.]+) ms")]
    private static partial Regex InitDuration();

    [GeneratedRegex(@" Duration: ([\d.]+) ms")]
    private static partial Regex Duration();
}
