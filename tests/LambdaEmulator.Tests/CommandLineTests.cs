using LambdaEmulator.Tests.Harness;

namespace LambdaEmulator.Tests;

/// <summary>The command line documents itself and rejects malformed input.</summary>
public sealed class CommandLineTests
{
    [Fact]
    public async Task Help_lists_every_option()
    {
        var result = await EmulatorProcess.RunAsync(["--help"]);

        Assert.Equal(0, result.ExitCode);
        var help = string.Join('\n', result.Stdout);
        foreach (var option in new[] { "--layer", "--function", "--handler", "--env", "--tmp", "--memory", "--timeout", "--init-timeout", "--invoke", "--port", "--isolate", "--no-freeze" })
        {
            Assert.Contains(option, help, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Malformed_env_is_rejected()
    {
        var result = await EmulatorProcess.RunAsync(["--env", "NOEQUALS", "--invoke", "{}"]);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(result.Stderr, l => l.Contains("--env expects KEY=VALUE", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Runtime_command_after_double_dash_gets_handler_and_environment()
    {
        using var sandbox = new TestSandbox();
        var script = Path.Combine(sandbox.Root, "my-runtime.sh");
        File.WriteAllText(script, Scripts.Runtime(handler: """RESPONSE="\"$_HANDLER $AWS_LAMBDA_FUNCTION_MEMORY_SIZE $MY_VAR $AWS_REGION $TZ\"" """));

        var result = await EmulatorProcess.RunAsync(
            ["--handler", "app.handle", "--memory", "512", "--env", "MY_VAR=x=y", "--invoke", "{}", "--", "bash", script]);

        Assert.True(result.ExitCode == 0, result.Transcript);
        Assert.EndsWith("\"app.handle 512 x=y us-east-1 :UTC\"", Assert.Single(result.Matching("RESPONSE ")), StringComparison.Ordinal);
    }
}
