using System.Globalization;
using System.Net.Http;
using LambdaEmulator.Tests.Harness;

namespace LambdaEmulator.Tests;

/// <summary>Behaviour 4 (and serve mode): the sandbox is frozen between invokes and thawed for the next one.</summary>
public sealed class FreezeTests
{
    private const string BackgroundLoop = """
        ( n=0; while true; do n=$((n+1)); echo $n > "$COUNTER.new"; mv "$COUNTER.new" "$COUNTER"; sleep 0.02; done ) &
        echo "[ext] loop pid $!"
        """;

    [Fact]
    public async Task Sandbox_is_frozen_between_invokes_and_thawed_for_the_next()
    {
        using var sandbox = new TestSandbox();
        var counter = Path.Combine(sandbox.Shared, "counter");
        sandbox.Extension("ext", Scripts.Extension(afterRegister: BackgroundLoop)).Runtime(Scripts.Runtime());
        await using var emulator = EmulatorProcess.Start(sandbox.Args("--port", "0", "--env", $"COUNTER={counter}"));
        var port = await emulator.ServePortAsync(Generous.Wait);
        var extensionPid = await emulator.SandboxPidAsync("ext", Generous.Wait);
        var loopLine = await emulator.Stdout.WaitForAsync(l => l.StartsWith("[ext] loop pid ", StringComparison.Ordinal), Generous.Wait, "loop pid");
        var loopPid = int.Parse(loopLine["[ext] loop pid ".Length..], CultureInfo.InvariantCulture);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        for (var i = 1; i <= 2; i++)
        {
            using var response = await http.PostAsync(
                new Uri("/2015-03-31/functions/function/invocations", UriKind.Relative), new StringContent($"{{\"n\":{i}}}"));
            Assert.Equal($"{{\"echo\":{{\"n\":{i}}}}}", await response.Content.ReadAsStringAsync());
            Assert.True(await ProcState.WaitForAsync(extensionPid, s => s == 'T'), "extension not frozen");
            Assert.True(await ProcState.WaitForAsync(loopPid, s => s == 'T'), "background loop not frozen");
        }

        emulator.Terminate();
        var result = await emulator.WaitForExitAsync(Generous.Wait);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains(result.Stdout, l => l.StartsWith("[ext] event {\"eventType\":\"SHUTDOWN\",\"shutdownReason\":\"spindown\"", StringComparison.Ordinal));
        Assert.Equal(2, result.Matching("RESPONSE ").Count);
    }

    [Fact]
    public async Task No_freeze_leaves_background_work_running()
    {
        using var sandbox = new TestSandbox();
        var counter = Path.Combine(sandbox.Shared, "counter");
        sandbox.Extension("ext", Scripts.Extension(afterRegister: BackgroundLoop)).Runtime(Scripts.Runtime());
        await using var emulator = EmulatorProcess.Start(sandbox.Args("--no-freeze", "--port", "0", "--env", $"COUNTER={counter}"));
        var port = await emulator.ServePortAsync(Generous.Wait);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        using var response = await http.PostAsync(new Uri("/2015-03-31/functions/function/invocations", UriKind.Relative), new StringContent("{}"));
        Assert.True(response.IsSuccessStatusCode);

        // The loop runs in the background: its first write may come after the invoke on a busy machine.
        Assert.True(await Poll.UntilAsync(() => File.Exists(counter)), "the background loop never wrote its counter");
        var first = long.Parse(await File.ReadAllTextAsync(counter), CultureInfo.InvariantCulture);
        var advanced = await Poll.UntilAsync(() => long.Parse(File.ReadAllText(counter), CultureInfo.InvariantCulture) > first);

        Assert.True(advanced, "the background loop should keep running without freezing");
    }
}
