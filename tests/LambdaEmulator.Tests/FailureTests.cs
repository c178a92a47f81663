using LambdaEmulator.Tests.Harness;

namespace LambdaEmulator.Tests;

/// <summary>Behaviour 6: crashes, init/error, exit/error, runtime init and invoke errors.</summary>
public sealed class FailureTests
{
    private const string ReportError = """
        curl -sS -o /dev/null -X POST "$API/__KIND__/error" -H "Lambda-Extension-Identifier: $ID" -H "Lambda-Extension-Function-Error-Type: __TYPE__" -d '{"errorMessage":"bad config","errorType":"__TYPE__"}'
        exit 1
        """;

    [Fact]
    public async Task Extension_exiting_during_init_even_with_status_0_is_a_crash()
    {
        using var sandbox = new TestSandbox();
        sandbox.Extension("quitter", Scripts.Extension(afterRegister: "exit 0")).Runtime(Scripts.Runtime());

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--invoke", "{}"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(result.Stdout, l => l.StartsWith("INIT_REPORT Init Duration: ", StringComparison.Ordinal)
            && l.EndsWith("Phase: init Status: error Error Type: Extension.Crash", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Extension_crashing_during_an_invoke_fails_it_and_resets_the_sandbox()
    {
        using var sandbox = new TestSandbox();
        // The handler never answers, so the extension's failure ends the invoke: the answer is returned as soon as
        // the runtime posts it, so a runtime that answered first would make the caller's result a success (as on Lambda).
        sandbox.Extension("crasher", Scripts.Extension(onInvoke: "exit 3")).Runtime(Scripts.Runtime(handler: "sleep infinity"));

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--invoke", "{}"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(result.Stdout, l => l.StartsWith("REPORT ", StringComparison.Ordinal) && l.EndsWith("Status: error Error Type: Extension.Crash", StringComparison.Ordinal));
        Assert.Contains(result.Stdout, l => l.StartsWith("ERROR RequestId: ", StringComparison.Ordinal) && l.Contains("\"errorType\":\"Extension.Crash\"", StringComparison.Ordinal));
        Assert.Contains(result.Stderr, l => l.Contains("resetting the sandbox (reason: failure)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Extension_init_error_fails_init_with_its_error_type()
    {
        using var sandbox = new TestSandbox();
        sandbox.Extension("picky", Scripts.Extension(afterRegister: ReportError.Replace("__KIND__", "init", StringComparison.Ordinal).Replace("__TYPE__", "Extension.ConfigInvalid", StringComparison.Ordinal)))
            .Runtime(Scripts.Runtime());

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--invoke", "{}"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(result.Stdout, l => l.StartsWith("INIT_REPORT ", StringComparison.Ordinal)
            && l.EndsWith("Phase: init Status: error Error Type: Extension.ConfigInvalid", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Extension_exit_error_fails_the_invoke_with_its_error_type()
    {
        using var sandbox = new TestSandbox();
        sandbox.Extension("failing", Scripts.Extension(onInvoke: ReportError.Replace("__KIND__", "exit", StringComparison.Ordinal).Replace("__TYPE__", "Extension.Broken", StringComparison.Ordinal)))
            .Runtime(Scripts.Runtime(handler: "sleep infinity")); // never answers, as above

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--invoke", "{}"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(result.Stdout, l => l.StartsWith("REPORT ", StringComparison.Ordinal) && l.EndsWith("Status: error Error Type: Extension.Broken", StringComparison.Ordinal));
        Assert.Contains(result.Stdout, l => l.StartsWith("ERROR RequestId: ", StringComparison.Ordinal) && l.Contains("bad config", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Runtime_init_error_is_reported_and_returned_to_the_invoke()
    {
        using var sandbox = new TestSandbox();
        sandbox.Runtime(Scripts.Runtime(init: """
            curl -sS -o /dev/null -X POST "$API/init/error" -H "Lambda-Runtime-Function-Error-Type: Runtime.BadConfig" -d '{"errorMessage":"no handler","errorType":"Runtime.BadConfig","stackTrace":[]}'
            exit 1
            """));

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--invoke", "{}"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(result.Stdout, l => l.StartsWith("INIT_REPORT ", StringComparison.Ordinal) && l.EndsWith("Phase: init Status: error Error Type: Runtime.BadConfig", StringComparison.Ordinal));
        Assert.Contains(result.Stdout, l => l.StartsWith("INIT_REPORT ", StringComparison.Ordinal) && l.EndsWith("Phase: invoke Status: error Error Type: Runtime.BadConfig", StringComparison.Ordinal));
        Assert.Contains(result.Stdout, l => l.StartsWith("ERROR RequestId: ", StringComparison.Ordinal) && l.Contains("\"errorMessage\":\"no handler\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Runtime_exiting_during_init_is_a_runtime_exit_error()
    {
        using var sandbox = new TestSandbox();
        sandbox.Runtime(Scripts.Runtime(init: "exit 2"));

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--invoke", "{}"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(result.Stdout, l => l.StartsWith("INIT_REPORT ", StringComparison.Ordinal) && l.EndsWith("Error Type: Runtime.ExitError", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Invoke_error_is_returned_without_resetting_the_sandbox()
    {
        using var sandbox = new TestSandbox();
        sandbox.Runtime(Scripts.Runtime(handler: """
            if [[ "$EVENT" == *fail* ]]; then
              curl -sS -o /dev/null -X POST "$API/invocation/$REQUEST_ID/error" -H "Lambda-Runtime-Function-Error-Type: Function.Failed" -d '{"errorMessage":"boom","errorType":"Function.Failed"}'
              continue
            fi
            """));

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--invoke", "\"fail\"", "--invoke", "\"ok\""));

        Assert.Equal(1, result.ExitCode);
        var outcomes = result.Stdout.Where(l => l.StartsWith("ERROR ", StringComparison.Ordinal) || l.StartsWith("RESPONSE ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, outcomes.Count);
        Assert.Matches("^ERROR RequestId: [0-9a-f-]{36} \\{\"errorMessage\":\"boom\",\"errorType\":\"Function.Failed\"\\}$", outcomes[0]);
        Assert.EndsWith("{\"echo\":\"ok\"}", outcomes[1], StringComparison.Ordinal);
        Assert.Single(result.Matching("INIT_START "));
    }
}
