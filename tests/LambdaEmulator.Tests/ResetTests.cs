using LambdaEmulator.Tests.Harness;

namespace LambdaEmulator.Tests;

/// <summary>Behaviour 6: a reset keeps /tmp; a new execution environment starts with an empty /tmp.</summary>
public sealed class ResetTests
{
    private const string RememberingHandler = """
        if [ -f "$TMPDIR/from-earlier" ]; then SEEN=yes; else SEEN=no; fi
        echo hi > "$TMPDIR/from-earlier"
        RESPONSE="{\"seen\":\"$SEEN\"}"
        """;

    [Fact]
    public async Task Reset_after_a_crash_keeps_tmp_and_a_new_environment_gets_an_empty_one()
    {
        using var sandbox = new TestSandbox();
        // Crashes on the first INVOKE of an environment only (its marker lives in /tmp, which the reset keeps).
        sandbox.Extension("crash-once", Scripts.Extension(onInvoke: """
                if [ ! -f "$TMPDIR/crashed" ]; then touch "$TMPDIR/crashed"; exit 0; fi
                """))
            .Runtime(Scripts.Runtime(
                init: "echo init >> \"$TMPDIR/inits\"",
                handler: "RESPONSE=\"{\\\"inits\\\":$(wc -l < \"$TMPDIR/inits\")}\""));

        var first = await EmulatorProcess.RunAsync(sandbox.Args("--invoke", "1", "--invoke", "2"));

        Assert.Equal(2, first.Matching("INIT_START ").Count);
        var outcomes = first.Stdout.Where(l => l.StartsWith("ERROR ", StringComparison.Ordinal) || l.StartsWith("RESPONSE ", StringComparison.Ordinal)).ToList();
        Assert.Contains("Extension.Crash", outcomes[0], StringComparison.Ordinal);
        // The runtime of the reset sandbox sees the file its predecessor wrote during the first INIT.
        Assert.EndsWith("{\"inits\":2}", outcomes[1], StringComparison.Ordinal);

        var second = await EmulatorProcess.RunAsync(sandbox.Args("--invoke", "1"));

        var outcome = Assert.Single(second.Stdout, l => l.StartsWith("ERROR ", StringComparison.Ordinal) || l.StartsWith("RESPONSE ", StringComparison.Ordinal));
        Assert.Contains("Extension.Crash", outcome, StringComparison.Ordinal);
        Assert.Contains(second.Stdout, l => l.StartsWith("[crash-once] register 200", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_new_environment_starts_with_an_empty_tmp()
    {
        using var sandbox = new TestSandbox();
        sandbox.Runtime(Scripts.Runtime(handler: RememberingHandler));

        var first = await EmulatorProcess.RunAsync(sandbox.Args("--invoke", "1", "--invoke", "2"));
        var second = await EmulatorProcess.RunAsync(sandbox.Args("--invoke", "1"));

        Assert.True(first.ExitCode == 0, first.Transcript);
        Assert.Collection(
            first.Matching("RESPONSE "),
            l => Assert.EndsWith("{\"seen\":\"no\"}", l, StringComparison.Ordinal),
            l => Assert.EndsWith("{\"seen\":\"yes\"}", l, StringComparison.Ordinal));
        Assert.EndsWith("{\"seen\":\"no\"}", Assert.Single(second.Matching("RESPONSE ")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_given_tmp_folder_is_used_and_kept()
    {
        using var sandbox = new TestSandbox();
        var tmp = Path.Combine(sandbox.Root, "my-tmp");
        sandbox.Runtime(Scripts.Runtime(handler: RememberingHandler));

        var first = await EmulatorProcess.RunAsync(sandbox.Args("--tmp", tmp, "--invoke", "1"));
        var second = await EmulatorProcess.RunAsync(sandbox.Args("--tmp", tmp, "--invoke", "1"));

        Assert.True(first.ExitCode == 0, first.Transcript);
        Assert.True(File.Exists(Path.Combine(tmp, "from-earlier")));
        Assert.EndsWith("{\"seen\":\"yes\"}", Assert.Single(second.Matching("RESPONSE ")), StringComparison.Ordinal);
    }
}
