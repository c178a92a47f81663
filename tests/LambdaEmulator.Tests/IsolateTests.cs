using LambdaEmulator.Tests.Harness;

namespace LambdaEmulator.Tests;

/// <summary>--isolate: under bubblewrap the sandbox sees the real /opt, /var/task and /tmp paths.</summary>
public sealed class IsolateTests
{
    [Fact]
    public async Task Isolated_sandbox_sees_real_opt_var_task_and_tmp()
    {
        Assert.True(File.Exists("/usr/bin/bwrap"), "bubblewrap is required: apt-get install -y bubblewrap");
        using var sandbox = new TestSandbox();
        var tmp = Path.Combine(sandbox.Root, "sandbox-tmp");
        File.WriteAllText(Path.Combine(sandbox.Layer, "layer-file.txt"), "from the layer");
        sandbox.Extension("ext", Scripts.Extension(beforeRegister: "echo \"[ext] sees $(cat /opt/layer-file.txt) tmpdir=${TMPDIR:-unset}\""))
            .Runtime(Scripts.Runtime(init: """
                echo "[runtime] task=$LAMBDA_TASK_ROOT pwd=$(pwd) bootstrap=$(ls /var/task) extensions=$(ls /opt/extensions)"
                echo "written inside" > /tmp/inside.txt
                touch /var/task/should-fail 2>/dev/null && echo "[runtime] task writable" || echo "[runtime] task read-only"
                """));

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--isolate", "--tmp", tmp, "--invoke", "{}"));

        Assert.True(result.ExitCode == 0, result.Transcript);
        Assert.Contains("[ext] sees from the layer tmpdir=unset", result.Stdout);
        Assert.Contains("[runtime] task=/var/task pwd=/var/task bootstrap=bootstrap extensions=ext", result.Stdout);
        Assert.Contains("[runtime] task read-only", result.Stdout);
        Assert.Equal("written inside\n", File.ReadAllText(Path.Combine(tmp, "inside.txt")));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_runtime_that_handles_SIGTERM_is_reported_with_its_own_exit_status(bool isolate)
    {
        using var sandbox = new TestSandbox();
        // An extension registered for SHUTDOWN gives the runtime a budget, so it gets SIGTERM before any SIGKILL.
        sandbox.Extension("ext", Scripts.Extension(events: """["SHUTDOWN"]"""))
            .Runtime(ShutdownTests.TrappingRuntime);
        string[] isolation = isolate ? ["--isolate"] : [];

        var result = await EmulatorProcess.RunAsync(sandbox.Args([.. isolation, "--invoke", "{}"]));

        Assert.True(result.ExitCode == 0, result.Transcript);
        Assert.Contains("[runtime] got SIGTERM", result.Stdout);
        Assert.Contains(result.Stderr, l => l.Contains("] runtime (pid ", StringComparison.Ordinal) && l.EndsWith(") exited with status 0", StringComparison.Ordinal));
    }
}
