using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using LambdaEmulator.Tests.Harness;

namespace LambdaEmulator.Tests;

/// <summary>
/// Behaviour 9: --managed-instances applies what Lambda Managed Instances change: the initialization type, SHUTDOWN-only
/// extensions, no freezing, several runtime workers with concurrent invokes, Telemetry API schema 2025-01-29 without
/// platform.runtimeDone.
/// </summary>
public sealed class ManagedInstancesTests
{
    private const string InvokeUrl = "/2015-03-31/functions/function/invocations";

    [Theory]
    [InlineData(true, "lambda-managed-instances")]
    [InlineData(false, "on-demand")]
    public async Task Initialization_type_names_the_mode(bool managed, string expected)
    {
        using var sandbox = new TestSandbox();
        sandbox.Extension("ext", Scripts.Extension(events: """["SHUTDOWN"]""", beforeRegister: "echo \"[ext] type=$AWS_LAMBDA_INITIALIZATION_TYPE\""))
            .Runtime(Scripts.Runtime(init: "echo \"[runtime] type=$AWS_LAMBDA_INITIALIZATION_TYPE\""));

        var result = await EmulatorProcess.RunAsync(sandbox.Args([.. managed ? ["--managed-instances"] : Array.Empty<string>(), "--invoke", "{}"]));

        Assert.True(result.ExitCode == 0, result.Transcript);
        Assert.Contains($"[ext] type={expected}", result.Stdout);
        Assert.Contains($"[runtime] type={expected}", result.Stdout);
    }

    [Fact]
    public async Task A_foreign_extension_asking_for_INVOKE_is_rejected_and_fails_INIT()
    {
        using var sandbox = new TestSandbox();
        sandbox.Extension("foreign", Scripts.Extension(events: """["INVOKE","SHUTDOWN"]"""))
            .Extension("polite", Scripts.Extension(events: """["SHUTDOWN"]"""))
            .Runtime(Scripts.Runtime());

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--managed-instances", "--invoke", "{}"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(result.Stdout, l => l.StartsWith("[foreign] register 403 ", StringComparison.Ordinal)
            && l.Contains("\"errorType\":\"Extension.InvalidEventType\"", StringComparison.Ordinal));
        Assert.Contains(result.Stdout, l => l.StartsWith("[polite] register 200 ", StringComparison.Ordinal));
        // The rejected extension exits: INIT fails (and fails again when the invoke retries it).
        var initReport = result.Matching("INIT_REPORT ")[0];
        Assert.Contains("Phase: init Status: error Error Type: Extension.Crash", initReport, StringComparison.Ordinal);
        Assert.StartsWith("ERROR RequestId: ", Assert.Single(result.Matching("ERROR ")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_runtime_with_four_workers_serves_100_concurrent_invokes_with_their_own_request_ids()
    {
        using var sandbox = new TestSandbox();
        sandbox.Runtime(WorkerRuntime.Script(4));
        await using var emulator = EmulatorProcess.Start(sandbox.Args("--managed-instances", "--concurrency", "4", "--port", "0"));
        var port = await emulator.ServePortAsync(Generous.Wait);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = Generous.Run };

        var answers = await Task.WhenAll(Enumerable.Range(1, 100).Select(async n =>
        {
            using var response = await http.PostAsync(new Uri(InvokeUrl, UriKind.Relative), new StringContent($"{{\"n\":{n}}}"));
            Assert.True(response.IsSuccessStatusCode, $"invoke {n}: HTTP {(int)response.StatusCode}");
            var header = Assert.Single(response.Headers.GetValues("X-Amzn-RequestId"));
            return (N: n, Header: header, Body: await response.Content.ReadAsStringAsync());
        }));

        var workers = new HashSet<int>();
        var mostAtOnce = 0;
        foreach (var (n, header, body) in answers)
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            Assert.Equal(header, root.GetProperty("requestId").GetString());
            Assert.Equal(n, root.GetProperty("event").GetProperty("n").GetInt32());
            workers.Add(root.GetProperty("worker").GetInt32());
            mostAtOnce = Math.Max(mostAtOnce, root.GetProperty("active").GetInt32());
        }

        Assert.Equal(100, answers.Select(a => a.Header).Distinct(StringComparer.Ordinal).Count());
        Assert.True(workers.Count > 1, $"one worker served every invoke: {string.Join(',', workers)}");
        Assert.InRange(mostAtOnce, 2, 4);
        foreach (var (_, header, _) in answers)
        {
            await emulator.Stdout.WaitForAsync(l => l.StartsWith($"REPORT RequestId: {header} ", StringComparison.Ordinal), Generous.Wait, $"REPORT of {header}");
        }

        Assert.Equal(100, emulator.Stdout.Lines.Count(l => l.StartsWith("START ", StringComparison.Ordinal)));
        Assert.DoesNotContain(emulator.Stdout.Lines, l => l.StartsWith("ERROR ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_sandbox_is_never_stopped()
    {
        using var sandbox = new TestSandbox();
        var counter = Path.Combine(sandbox.Shared, "counter");
        sandbox.Extension("ext", Scripts.Extension(events: """["SHUTDOWN"]""", afterRegister: """
                ( n=0; while true; do n=$((n+1)); echo $n > "$COUNTER.new"; mv "$COUNTER.new" "$COUNTER"; sleep 0.02; done ) &
                echo "[ext] loop pid $!"
                """))
            .Runtime(Scripts.Runtime());
        await using var emulator = EmulatorProcess.Start(sandbox.Args("--managed-instances", "--port", "0", "--env", $"COUNTER={counter}"));
        var port = await emulator.ServePortAsync(Generous.Wait);
        var pids = new[]
        {
            await emulator.SandboxPidAsync("ext", Generous.Wait),
            await emulator.SandboxPidAsync("runtime", Generous.Wait),
            int.Parse((await emulator.Stdout.WaitForAsync(l => l.StartsWith("[ext] loop pid ", StringComparison.Ordinal), Generous.Wait, "loop pid"))["[ext] loop pid ".Length..], CultureInfo.InvariantCulture),
        };

        // Watch every process's scheduler state for the whole run: a freeze would show as 'T' (stopped).
        using var watching = new CancellationTokenSource();
        var stopped = new ConcurrentBag<string>();
        var watcher = Task.Run(async () =>
        {
            while (!watching.IsCancellationRequested)
            {
                foreach (var pid in pids)
                {
                    if (ProcState.Of(pid) == 'T')
                    {
                        stopped.Add($"pid {pid}");
                    }
                }

                await Task.Delay(5);
            }
        });
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        for (var i = 0; i < 5; i++)
        {
            using var response = await http.PostAsync(new Uri(InvokeUrl, UriKind.Relative), new StringContent("{}"));
            Assert.True(response.IsSuccessStatusCode);
        }

        // Between invokes the background loop goes on (on demand it would be frozen here).
        Assert.True(await Poll.UntilAsync(() => File.Exists(counter)), "the background loop never wrote its counter");
        var first = long.Parse(await File.ReadAllTextAsync(counter), CultureInfo.InvariantCulture);
        var advanced = await Poll.UntilAsync(() => long.Parse(File.ReadAllText(counter), CultureInfo.InvariantCulture) > first + 5);
        await watching.CancelAsync();
        await watcher;

        Assert.True(advanced, "the background loop must keep running between invokes");
        Assert.Empty(stopped);
    }

    [Fact]
    public async Task SHUTDOWN_reaches_every_extension()
    {
        using var sandbox = new TestSandbox();
        foreach (var name in new[] { "ext1", "ext2", "ext3" })
        {
            sandbox.Extension(name, Scripts.Extension(events: """["SHUTDOWN"]"""));
        }

        sandbox.Runtime(WorkerRuntime.Script(2));

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--managed-instances", "--concurrency", "2", "--invoke", "{}", "--invoke", "{}", "--invoke", "{}"));

        Assert.True(result.ExitCode == 0, result.Transcript);
        Assert.Equal(3, result.Matching("RESPONSE ").Count);
        foreach (var name in new[] { "ext1", "ext2", "ext3" })
        {
            var shutdown = Assert.Single(result.Stdout, l => l.StartsWith($"[{name}] event ", StringComparison.Ordinal));
            using var json = JsonDocument.Parse(shutdown[$"[{name}] event ".Length..]);
            Assert.Equal("SHUTDOWN", json.RootElement.GetProperty("eventType").GetString());
            Assert.Equal("spindown", json.RootElement.GetProperty("shutdownReason").GetString());
            Assert.Contains(result.Stderr, l => l.Contains($"{name} (pid ", StringComparison.Ordinal) && l.EndsWith("exited with status 0", StringComparison.Ordinal));
        }

        // INIT is reported on its own; the REPORT lines carry no Init Duration.
        Assert.Contains(result.Stdout, l => l.StartsWith("INIT_REPORT ", StringComparison.Ordinal) && l.Contains("Status: success", StringComparison.Ordinal));
        Assert.DoesNotContain(result.Matching("REPORT "), l => l.Contains("Init Duration", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Telemetry_accepts_schema_2025_01_29_only_and_sends_no_runtimeDone()
    {
        using var receiver = new TelemetryReceiver();
        using var sandbox = new TestSandbox();
        sandbox.Extension("ext", Scripts.Extension(events: """["SHUTDOWN"]""", afterRegister: """
                for version in 2022-12-13 2025-01-29; do
                  CODE=$(curl -sS -o /dev/null -w '%{http_code}' -X PUT "http://${AWS_LAMBDA_RUNTIME_API}/2022-07-01/telemetry" -H "Lambda-Extension-Identifier: $ID" -d "{\"schemaVersion\":\"$version\",\"types\":[\"platform\"],\"buffering\":{\"timeoutMs\":25},\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox.localdomain:$TELEMETRY_PORT/telemetry\"}}")
                  echo "[ext] schema $version $CODE"
                done
                """))
            .Runtime(Scripts.Runtime());

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--managed-instances", "--env", $"TELEMETRY_PORT={receiver.Port}", "--invoke", "{}"));

        Assert.True(result.ExitCode == 0, result.Transcript);
        Assert.Contains("[ext] schema 2022-12-13 400", result.Stdout);
        Assert.Contains("[ext] schema 2025-01-29 200", result.Stdout);
        var report = await receiver.Events.WaitForAsync(e => e.Contains("\"type\":\"platform.report\"", StringComparison.Ordinal), Generous.Wait, "platform.report");
        Assert.Contains("\"initializationType\":\"lambda-managed-instances\"", string.Join('\n', receiver.Events.Lines), StringComparison.Ordinal);
        Assert.DoesNotContain(receiver.Events.Lines, e => e.Contains("\"type\":\"platform.runtimeDone\"", StringComparison.Ordinal));
        Assert.Contains("\"status\":\"success\"", report, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_timed_out_invoke_fails_alone_and_the_environment_goes_on()
    {
        using var sandbox = new TestSandbox();
        sandbox.Runtime(WorkerRuntime.Script(2, handler: TimedOutInvoke.HangHandler));

        var result = await EmulatorProcess.RunAsync(sandbox.Args(
            "--managed-instances", "--concurrency", "2", "--timeout", TimedOutInvoke.Argument,
            "--invoke", "\"hang\"", "--invoke", "\"fine\"", "--invoke", "\"fine\""));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(result.Stdout, l => l.EndsWith($"Task timed out after {TimedOutInvoke.Seconds} seconds", StringComparison.Ordinal));
        Assert.Contains("Sandbox.Timedout", Assert.Single(result.Matching("ERROR ")), StringComparison.Ordinal);
        Assert.Equal(2, result.Matching("RESPONSE ").Count(l => l.EndsWith("\"event\":\"fine\"}", StringComparison.Ordinal)));
        Assert.Single(result.Matching("INIT_START "));
        Assert.DoesNotContain(result.Stderr, l => l.Contains("resetting the sandbox", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Concurrency_below_one_is_a_usage_error()
    {
        var result = await EmulatorProcess.RunAsync(["--concurrency", "0", "--invoke", "{}"]);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(result.Stderr, l => l.Contains("--concurrency expects a whole number of at least 1, got 0", StringComparison.Ordinal));
    }
}
