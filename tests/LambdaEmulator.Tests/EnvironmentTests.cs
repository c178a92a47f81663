using LambdaEmulator.Tests.Harness;

namespace LambdaEmulator.Tests;

/// <summary>What the runtime and the extensions see in their environment (lambda-contract.md).</summary>
public sealed class EnvironmentTests
{
    [Fact]
    public async Task Extensions_get_the_function_variables_but_not_the_runtime_only_ones()
    {
        using var sandbox = new TestSandbox();
        const string Dump = "for v in AWS_LAMBDA_FUNCTION_NAME AWS_LAMBDA_FUNCTION_VERSION AWS_LAMBDA_FUNCTION_MEMORY_SIZE AWS_REGION AWS_DEFAULT_REGION TZ MY_VAR _HANDLER LAMBDA_TASK_ROOT AWS_EXECUTION_ENV; do echo \"[$WHO] $v=${!v-<unset>}\"; done";
        sandbox.Extension("ext", Scripts.Extension(beforeRegister: "WHO=ext; " + Dump))
            .Runtime(Scripts.Runtime(init: "WHO=runtime; " + Dump));

        var result = await EmulatorProcess.RunAsync(sandbox.Args(
            "--function-name", "fn", "--memory", "1024", "--env", "MY_VAR=mine", "--env", "AWS_REGION=eu-west-1", "--handler", "h.x", "--invoke", "{}"));

        Assert.True(result.ExitCode == 0, result.Transcript);
        foreach (var who in new[] { "ext", "runtime" })
        {
            Assert.Contains($"[{who}] AWS_LAMBDA_FUNCTION_NAME=fn", result.Stdout);
            Assert.Contains($"[{who}] AWS_LAMBDA_FUNCTION_VERSION=$LATEST", result.Stdout);
            Assert.Contains($"[{who}] AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1024", result.Stdout);
            Assert.Contains($"[{who}] AWS_REGION=eu-west-1", result.Stdout);
            Assert.Contains($"[{who}] AWS_DEFAULT_REGION=eu-west-1", result.Stdout);
            Assert.Contains($"[{who}] TZ=:UTC", result.Stdout);
            Assert.Contains($"[{who}] MY_VAR=mine", result.Stdout);
        }

        Assert.Contains("[ext] _HANDLER=<unset>", result.Stdout);
        Assert.Contains("[ext] LAMBDA_TASK_ROOT=<unset>", result.Stdout);
        Assert.Contains("[ext] AWS_EXECUTION_ENV=<unset>", result.Stdout);
        Assert.Contains("[runtime] _HANDLER=h.x", result.Stdout);
        Assert.Contains(result.Stdout, l => l.StartsWith("[runtime] LAMBDA_TASK_ROOT=/", StringComparison.Ordinal) && l.EndsWith("/var/task", StringComparison.Ordinal));
    }
}
