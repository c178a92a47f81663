using LambdaEmulator.Tests.Harness;

namespace LambdaEmulator.Tests;

/// <summary>
/// AWS_LAMBDA_EXEC_WRAPPER as managed runtimes honour it: the runtime starts through the named script, which gets the
/// runtime command as its arguments; OS-only runtimes (--runtime provided*) ignore it; a missing or non-executable
/// script fails the runtime with the messages and exit codes of AWS's bootstrap.
/// </summary>
public sealed class ExecWrapperTests
{
    // Prints what it was given, adds a variable, then execs its arguments, as wrapper scripts do.
    private const string Wrapper = """
        #!/bin/sh
        printf '[wrap] argc=%s' "$#"; for a in "$@"; do printf ' <%s>' "$a"; done; echo
        export SET_BY_WRAPPER=yes
        exec "$@"
        """;

    private const string Report = """echo "[runtime] args=$# first=<$1> second=<$2> wrapped=${SET_BY_WRAPPER-no} env=${AWS_EXECUTION_ENV-unset} pid=$$" """;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_runtime_starts_through_the_wrapper_with_its_command_as_the_arguments(bool isolate)
    {
        using var sandbox = new TestSandbox();
        // Under --isolate the wrapper is where a layer puts it (/opt); without it, at a host path.
        File.WriteAllText(Path.Combine(sandbox.Layer, "wrap"), Wrapper);
        File.WriteAllText(Path.Combine(sandbox.Shared, "wrap"), Wrapper);
        File.SetUnixFileMode(Path.Combine(sandbox.Layer, "wrap"), (UnixFileMode)0x1ED);
        File.SetUnixFileMode(Path.Combine(sandbox.Shared, "wrap"), (UnixFileMode)0x1ED);
        var wrapper = isolate ? "/opt/wrap" : Path.Combine(sandbox.Shared, "wrap");
        var bootstrap = isolate ? "/var/task/bootstrap" : Path.Combine(sandbox.Function, "bootstrap");
        sandbox.Extension("ext", Scripts.Extension(beforeRegister: """echo "[ext] wrapped=${SET_BY_WRAPPER-no} variable=$AWS_LAMBDA_EXEC_WRAPPER" """))
            .Runtime(Scripts.Runtime(init: Report));
        string[] isolation = isolate ? ["--isolate"] : [];

        var result = await EmulatorProcess.RunAsync(sandbox.Args(
            [.. isolation, "--runtime", "python3.12", "--env", $"AWS_LAMBDA_EXEC_WRAPPER={wrapper}", "--invoke", "{}", "--", bootstrap, "one arg", "--two"]));

        Assert.True(result.ExitCode == 0, result.Transcript);
        Assert.Equal([$"[wrap] argc=3 <{bootstrap}> <one arg> <--two>"], result.Matching("[wrap]"));
        var runtime = Assert.Single(result.Matching("[runtime]"));
        Assert.StartsWith("[runtime] args=2 first=<one arg> second=<--two> wrapped=yes env=AWS_Lambda_python3.12 pid=", runtime, StringComparison.Ordinal);
        // The wrapper execs: the runtime keeps the pid the emulator started.
        var pid = runtime[(runtime.LastIndexOf('=') + 1)..];
        Assert.Contains(result.Stderr, l => l.Contains($"started runtime (pid {pid})", StringComparison.Ordinal));
        // Extensions are never started through it, though they see the function's variable.
        Assert.Contains($"[ext] wrapped=no variable={wrapper}", result.Stdout);
        Assert.Contains(result.Stderr, l => l.Contains($"runtime starts through AWS_LAMBDA_EXEC_WRAPPER={wrapper}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_runtime_the_wrapper_is_honoured_and_AWS_EXECUTION_ENV_is_not_set()
    {
        using var sandbox = new TestSandbox();
        File.WriteAllText(Path.Combine(sandbox.Shared, "wrap"), Wrapper);
        File.SetUnixFileMode(Path.Combine(sandbox.Shared, "wrap"), (UnixFileMode)0x1ED);
        sandbox.Extension("ext", Scripts.Extension()).Runtime(Scripts.Runtime(init: Report));

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--env", $"AWS_LAMBDA_EXEC_WRAPPER={Path.Combine(sandbox.Shared, "wrap")}", "--invoke", "{}"));

        Assert.True(result.ExitCode == 0, result.Transcript);
        Assert.Single(result.Matching("[wrap] argc=1 <"));
        Assert.Contains(result.Stdout, l => l.StartsWith("[runtime] args=0 first=<> second=<> wrapped=yes env=unset", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("provided.al2023")]
    [InlineData("provided")]
    public async Task An_os_only_runtime_ignores_the_wrapper(string runtime)
    {
        using var sandbox = new TestSandbox();
        File.WriteAllText(Path.Combine(sandbox.Shared, "wrap"), Wrapper);
        File.SetUnixFileMode(Path.Combine(sandbox.Shared, "wrap"), (UnixFileMode)0x1ED);
        sandbox.Extension("ext", Scripts.Extension()).Runtime(Scripts.Runtime(init: Report));

        var result = await EmulatorProcess.RunAsync(sandbox.Args(
            "--runtime", runtime, "--env", $"AWS_LAMBDA_EXEC_WRAPPER={Path.Combine(sandbox.Shared, "wrap")}", "--invoke", "{}"));

        Assert.True(result.ExitCode == 0, result.Transcript);
        Assert.Empty(result.Matching("[wrap]"));
        Assert.Contains(result.Stdout, l => l.StartsWith($"[runtime] args=0 first=<> second=<> wrapped=no env=AWS_Lambda_{runtime} ", StringComparison.Ordinal));
        Assert.Contains(result.Stderr, l => l.Contains($"AWS_LAMBDA_EXEC_WRAPPER ignored: --runtime {runtime} is an OS-only runtime", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false, "does not exist", 127)]
    [InlineData(true, "is not an executable", 126)]
    public async Task A_wrapper_that_cannot_run_fails_the_runtime_as_the_managed_bootstrap_does(bool exists, string message, int status)
    {
        using var sandbox = new TestSandbox();
        var wrapper = Path.Combine(sandbox.Shared, "wrap");
        if (exists)
        {
            File.WriteAllText(wrapper, Wrapper); // no exec bit
        }

        sandbox.Extension("ext", Scripts.Extension()).Runtime(Scripts.Runtime(init: Report));

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--runtime", "nodejs22.x", "--env", $"AWS_LAMBDA_EXEC_WRAPPER={wrapper}", "--invoke", "{}"));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"{wrapper}: {message}", result.Stdout);
        Assert.Empty(result.Matching("[runtime]"));
        Assert.Contains(result.Stderr, l => l.Contains("runtime (pid ", StringComparison.Ordinal) && l.EndsWith($"exited with status {status}", StringComparison.Ordinal));
        Assert.Contains(result.Stdout, l => l.StartsWith("INIT_REPORT ", StringComparison.Ordinal) && l.Contains("Error Type: Runtime.ExitError", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Python3.12")]
    [InlineData("python 3.12")]
    [InlineData("")]
    public async Task A_runtime_that_is_not_an_identifier_is_a_usage_error(string runtime)
    {
        var result = await EmulatorProcess.RunAsync(["--runtime", runtime, "--invoke", "{}"]);

        Assert.True(result.ExitCode == 2, result.Transcript);
        Assert.Contains(result.Stderr, l => l.Contains("--runtime expects a Lambda runtime identifier", StringComparison.Ordinal));
    }
}
