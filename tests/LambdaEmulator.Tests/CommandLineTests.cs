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
        foreach (var option in new[] { "--layer", "--function", "--handler", "--env", "--tmp", "--memory", "--timeout", "--init-timeout", "--invoke", "--port", "--isolate", "--no-freeze", "--runtime" })
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
    public async Task An_unknown_option_is_a_usage_error_with_exit_code_2_and_starts_nothing()
    {
        var result = await EmulatorProcess.RunAsync(["--timout", "5", "--invoke", "{}"]);

        Assert.True(result.ExitCode == 2, result.Transcript);
        Assert.Contains(result.Stderr, l => l.Contains("Unknown option '--timout'", StringComparison.Ordinal));
        Assert.DoesNotContain(result.Stderr, l => l.Contains("started ", StringComparison.Ordinal));
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task A_word_before_double_dash_is_a_usage_error_but_option_like_words_after_it_belong_to_the_runtime()
    {
        using var sandbox = new TestSandbox();
        var script = Path.Combine(sandbox.Root, "my-runtime.sh");
        File.WriteAllText(script, Scripts.Runtime(handler: "RESPONSE=\"\\\"$1 $2\\\"\""));

        var stray = await EmulatorProcess.RunAsync(["bash", "--invoke", "{}"]);
        var after = await EmulatorProcess.RunAsync(["--invoke", "{}", "--", "bash", script, "--timout", "5"]);

        Assert.True(stray.ExitCode == 2, stray.Transcript);
        Assert.Contains(stray.Stderr, l => l.Contains("Unexpected argument 'bash'", StringComparison.Ordinal));
        Assert.True(after.ExitCode == 0, after.Transcript);
        Assert.EndsWith("\"--timout 5\"", Assert.Single(after.Matching("RESPONSE ")), StringComparison.Ordinal);
        // No extension: no SHUTDOWN budget, and never a negative one.
        Assert.Contains(after.Stderr, l => l.EndsWith("SHUTDOWN reason=spindown budget=0 ms", StringComparison.Ordinal));
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
