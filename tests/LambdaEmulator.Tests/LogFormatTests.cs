using System.Globalization;
using System.Text.RegularExpressions;
using LambdaEmulator.Tests.Harness;

namespace LambdaEmulator.Tests;

/// <summary>Behaviour 7: CloudWatch-format platform lines, process lines interleaved, measured memory.</summary>
public sealed partial class LogFormatTests
{
    [Fact]
    public async Task Platform_lines_have_the_cloudwatch_format_and_process_lines_are_interleaved()
    {
        using var sandbox = new TestSandbox();
        // The big invoke holds 80 MB in bash: about 1 s of work idle, 4 s on a busy machine, well inside the
        // harness's generous function timeout (Lambda's 3 s default would make this a test of the machine's speed).
        sandbox.Extension("ext", Scripts.Extension(onInvoke: "echo \"[ext] working\"; echo \"[ext] to stderr\" >&2"))
            .Runtime(Scripts.Runtime(init: "echo \"[runtime] init\"", handler: """
                echo "[runtime] handling $EVENT"
                if [[ "$EVENT" == *big* ]]; then BIG=$(head -c 80000000 /dev/zero | tr '\0' a); echo "[runtime] held ${#BIG} bytes"; fi
                """));

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--memory", "256", "--invoke", "\"small\"", "--invoke", "\"big\""));

        Assert.True(result.ExitCode == 0, result.Transcript);
        var platform = result.Stdout.Where(l => !l.StartsWith('[') && !l.StartsWith("RESPONSE ", StringComparison.Ordinal)).ToList();
        Assert.Collection(
            platform,
            l => Assert.Matches(InitStart(), l),
            l => Assert.Equal("EXTENSION Name: ext State: Ready Events: [INVOKE, SHUTDOWN]", l),
            l => Assert.Matches(Start(), l),
            l => Assert.Matches(End(), l),
            l => Assert.Matches(Report(), l),
            l => Assert.Matches(Start(), l),
            l => Assert.Matches(End(), l),
            l => Assert.Matches(Report(), l));

        var reports = result.Matching("REPORT ");
        Assert.True(Report().Match(reports[0]).Groups["init"].Success, "first REPORT must carry Init Duration");
        Assert.False(Report().Match(reports[1]).Groups["init"].Success, "only the first REPORT carries Init Duration");
        var small = int.Parse(Report().Match(reports[0]).Groups["max"].Value, CultureInfo.InvariantCulture);
        var big = int.Parse(Report().Match(reports[1]).Groups["max"].Value, CultureInfo.InvariantCulture);
        Assert.InRange(small, 1, 79);
        Assert.True(big >= 80, reports[1]);

        // Process lines land between START and END of their invoke, stdout and stderr alike.
        var start = result.IndexOf(l => l.StartsWith("START ", StringComparison.Ordinal));
        var end = result.IndexOf(l => l.StartsWith("END ", StringComparison.Ordinal));
        Assert.InRange(result.IndexOf("[ext] working"), start, end);
        Assert.InRange(result.IndexOf("[ext] to stderr"), start, end);
        Assert.InRange(result.IndexOf("[runtime] handling \"small\""), start, end);
        Assert.True(result.IndexOf("[runtime] init") < start, result.Transcript);
    }

    [GeneratedRegex(@"^INIT_START Runtime Version: \S+ Runtime Version ARN: arn:aws:lambda:us-east-1::runtime:\S+$")]
    private static partial Regex InitStart();

    [GeneratedRegex(@"^START RequestId: [0-9a-f-]{36} Version: \$LATEST$")]
    private static partial Regex Start();

    [GeneratedRegex(@"^END RequestId: [0-9a-f-]{36}$")]
    private static partial Regex End();

    [GeneratedRegex(@"^REPORT RequestId: [0-9a-f-]{36} Duration: \d+\.\d\d ms Billed Duration: \d+ ms Memory Size: 256 MB Max Memory Used: (?<max>\d+) MB( Init Duration: (?<init>\d+\.\d\d) ms)? Post Runtime Extensions Duration: \d+\.\d\d ms$")]
    private static partial Regex Report();
}
