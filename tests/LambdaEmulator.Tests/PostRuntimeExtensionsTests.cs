using System.Globalization;
using System.Text.RegularExpressions;
using LambdaEmulator.Tests.Harness;

namespace LambdaEmulator.Tests;

/// <summary>
/// Behaviour 3 (continued): the caller gets the runtime's answer at once, even while an extension registered for
/// INVOKE is still working; the invoke (Duration, REPORT, the freeze) ends when that extension calls next again, and
/// the time it took after the answer is reported as Post Runtime Extensions Duration.
/// </summary>
public sealed partial class PostRuntimeExtensionsTests
{
    [Fact]
    public async Task The_answer_is_returned_before_a_slow_extension_calls_next_and_its_time_is_reported()
    {
        using var sandbox = new TestSandbox();
        var gate = Path.Combine(sandbox.Shared, "gate");
        // The extension calls next again only once the test, holding the HTTP answer, opens the gate.
        sandbox.Extension("slow", Scripts.Extension(onInvoke: """
                echo "[slow] waiting for the gate"
                while [ ! -f "$GATE" ]; do sleep 0.02; done
                echo "[slow] done"
                """))
            .Runtime(Scripts.Runtime());
        await using var emulator = EmulatorProcess.Start(sandbox.Args("--port", "0", "--env", $"GATE={gate}"));
        var port = await emulator.ServePortAsync(Generous.Wait);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        using var response = await http.PostAsync(new Uri("/2015-03-31/functions/function/invocations", UriKind.Relative), new StringContent("{\"k\":1}"));
        var answered = DateTimeOffset.UtcNow;
        Assert.Equal("{\"echo\":{\"k\":1}}", await response.Content.ReadAsStringAsync());
        var requestId = Assert.Single(response.Headers.GetValues("X-Amzn-RequestId"));
        await emulator.Stdout.WaitForAsync(l => l == "[slow] waiting for the gate", Generous.Wait, "the extension at work");
        Assert.DoesNotContain("[slow] done", emulator.Stdout.Lines);
        Assert.DoesNotContain(emulator.Stdout.Lines, l => l.StartsWith($"REPORT RequestId: {requestId}", StringComparison.Ordinal));

        await File.WriteAllTextAsync(gate, "");
        var opened = DateTimeOffset.UtcNow;
        var report = await emulator.Stdout.WaitForAsync(l => l.StartsWith($"REPORT RequestId: {requestId} ", StringComparison.Ordinal), Generous.Wait, "REPORT");

        // The extension was still working from before the answer reached the test until the gate opened.
        var post = double.Parse(PostRuntime().Match(report).Groups[1].Value, CultureInfo.InvariantCulture);
        var duration = double.Parse(Duration().Match(report).Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(post >= (opened - answered).TotalMilliseconds, report);
        Assert.True(duration >= post, report);
        Assert.DoesNotContain("Status:", report, StringComparison.Ordinal);
        Assert.True(emulator.Stdout.Lines.ToList().IndexOf("[slow] done") < emulator.Stdout.Lines.ToList().IndexOf(report), "REPORT comes after the extension's work");
    }

    [Fact]
    public async Task Without_INVOKE_extensions_the_report_has_no_post_runtime_time()
    {
        using var sandbox = new TestSandbox();
        sandbox.Extension("ext", Scripts.Extension(events: """["SHUTDOWN"]""")).Runtime(Scripts.Runtime());

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--invoke", "{}"));

        Assert.True(result.ExitCode == 0, result.Transcript);
        Assert.DoesNotContain("Post Runtime Extensions Duration", Assert.Single(result.Matching("REPORT ")), StringComparison.Ordinal);
    }

    [GeneratedRegex(@" Post Runtime Extensions Duration: ([\d.]+) ms")]
    private static partial Regex PostRuntime();

    [GeneratedRegex(@" Duration: ([\d.]+) ms Billed")]
    private static partial Regex Duration();
}
