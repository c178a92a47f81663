using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using LambdaEmulator.Tests.Harness;

namespace LambdaEmulator.Tests;

/// <summary>
/// Behaviour 14: --snapstart runs INIT as a SnapStart version's publication does (snap-start, no key variables, a
/// container credentials endpoint), snapshots the sandbox (every process stopped), and restores it at the first
/// invoke: RESTORE_START / RESTORE_REPORT, the runtime's restore/next answered and its hooks timed, restore telemetry,
/// a new credentials session, and the sandbox's connections to the outside destroyed.
/// </summary>
public sealed class SnapStartTests
{
    private const string InvokeUrl = "/2015-03-31/functions/function/invocations";

    /// <summary>A runtime as SnapStart's managed runtimes behave: init, then restore/next, then after-restore hooks, then the invoke loop.</summary>
    private static string RestoringRuntime(string afterRestore = ":") => Scripts.Runtime(init: $$"""
        echo "[runtime] init done, waiting in restore/next"
        CODE=$(curl -sS -o /dev/null -w '%{http_code}' "$API/restore/next")
        echo "[runtime] restore/next $CODE"
        {{afterRestore}}
        """);

    [Fact]
    public async Task INIT_sees_snap_start_and_no_key_variables_then_every_process_stays_stopped_until_the_first_invoke_restores_it()
    {
        using var sandbox = new TestSandbox();
        sandbox.Extension("ext", Scripts.Extension(beforeRegister: """
                echo "[ext] type=$AWS_LAMBDA_INITIALIZATION_TYPE version=$AWS_LAMBDA_FUNCTION_VERSION key=${AWS_ACCESS_KEY_ID:-none} secret=${AWS_SECRET_ACCESS_KEY:-none} session=${AWS_SESSION_TOKEN:-none}"
                echo "[ext] uri=${AWS_CONTAINER_CREDENTIALS_FULL_URI:-none} token=${AWS_CONTAINER_AUTHORIZATION_TOKEN:+set}"
                """))
            .Runtime(RestoringRuntime(afterRestore: """echo "[runtime] log group=${AWS_LAMBDA_LOG_GROUP_NAME:-none}" """));
        await using var emulator = EmulatorProcess.Start(sandbox.Args(
            "--snapstart", "--port", "0", "--env", "AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "--env", "AWS_SECRET_ACCESS_KEY=secret", "--env", "AWS_SESSION_TOKEN=given"));
        var port = await emulator.ServePortAsync(Generous.Wait);
        int[] pids = [await emulator.SandboxPidAsync("ext", Generous.Wait), await emulator.SandboxPidAsync("runtime", Generous.Wait)];
        await emulator.Stderr.WaitForAsync(l => l.Contains("snapshot taken", StringComparison.Ordinal), Generous.Wait, "the snapshot");

        Assert.Contains("[ext] type=snap-start version=1 key=none secret=none session=none", emulator.Stdout.Lines);
        Assert.Contains(emulator.Stdout.Lines, l => l.StartsWith("[ext] uri=http://127.0.0.1:", StringComparison.Ordinal)
            && l.EndsWith("/2021-04-23/credentials token=set", StringComparison.Ordinal));
        Assert.Contains(emulator.Stdout.Lines, l => l.StartsWith("INIT_REPORT Init Duration: ", StringComparison.Ordinal) && l.EndsWith("Phase: init Status: success", StringComparison.Ordinal));
        foreach (var pid in pids)
        {
            Assert.True(await ProcState.WaitForAsync(pid, s => s == 'T'), $"pid {pid} is not stopped after the snapshot");
        }

        // No invoke: the snapshot stays (the runtime is still inside restore/next, its hooks have not run).
        Assert.All(pids, pid => Assert.Equal('T', ProcState.Of(pid)));
        Assert.DoesNotContain(emulator.Stdout.Lines, l => l.StartsWith("[runtime] restore/next", StringComparison.Ordinal));

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        using var response = await http.PostAsync(new Uri(InvokeUrl, UriKind.Relative), new StringContent("""{"n":1}"""));
        Assert.Equal("""{"echo":{"n":1}}""", await response.Content.ReadAsStringAsync());
        var requestId = Assert.Single(response.Headers.GetValues("X-Amzn-RequestId"));
        var report = await emulator.Stdout.WaitForAsync(l => l.StartsWith($"REPORT RequestId: {requestId} ", StringComparison.Ordinal), Generous.Wait, "REPORT");

        var lines = emulator.Stdout.Lines.ToList();
        int At(string prefix) => lines.FindIndex(l => l.StartsWith(prefix, StringComparison.Ordinal));
        Assert.True(At("INIT_REPORT ") < At("RESTORE_START Runtime Version: emulator.1 Runtime Version ARN: arn:aws:lambda:"), string.Join('\n', lines));
        Assert.True(At("RESTORE_START ") < At("[runtime] restore/next 200"));
        Assert.True(At("[runtime] restore/next 200") < At("RESTORE_REPORT Restore Duration: "));
        Assert.True(At("RESTORE_REPORT ") < At($"START RequestId: {requestId} Version: 1"));
        Assert.True(At($"START RequestId: {requestId}") < At("[ext] event {\"eventType\":\"INVOKE\""), "the extension's pending next returns the first INVOKE after the restore");
        Assert.Matches(@"RESTORE_REPORT Restore Duration: \d+\.\d\d ms$", lines[At("RESTORE_REPORT ")]);
        Assert.Matches(@" Restore Duration: \d+\.\d\d ms Billed Restore Duration: \d+ ms", report);
        Assert.DoesNotContain("Init Duration", report, StringComparison.Ordinal);
        Assert.Contains("[runtime] log group=none", lines);

        // Only the first invoke after the restore carries the restore.
        using var second = await http.PostAsync(new Uri(InvokeUrl, UriKind.Relative), new StringContent("{}"));
        var secondId = Assert.Single(second.Headers.GetValues("X-Amzn-RequestId"));
        var secondReport = await emulator.Stdout.WaitForAsync(l => l.StartsWith($"REPORT RequestId: {secondId} ", StringComparison.Ordinal), Generous.Wait, "second REPORT");
        Assert.DoesNotContain("Restore Duration", secondReport, StringComparison.Ordinal);
        Assert.Single(emulator.Stdout.Lines, l => l.StartsWith("RESTORE_START ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_runtimes_after_restore_hooks_are_billed_in_the_restore_and_a_restore_error_fails_the_invoke_with_its_type()
    {
        using (var sandbox = new TestSandbox())
        {
            sandbox.Runtime(RestoringRuntime(afterRestore: "sleep 0.4"));

            var result = await EmulatorProcess.RunAsync(sandbox.Args("--snapstart", "--invoke", "{}"));

            Assert.True(result.ExitCode == 0, result.Transcript);
            var report = Assert.Single(result.Matching("REPORT "));
            var billed = double.Parse(System.Text.RegularExpressions.Regex.Match(report, @"Billed Restore Duration: (\d+) ms").Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.InRange(billed, 400, 30_000);
        }

        using (var sandbox = new TestSandbox())
        {
            sandbox.Runtime(RestoringRuntime(afterRestore: """
                curl -sS -o /dev/null -X POST "$API/restore/error" -H "Lambda-Runtime-Function-Error-Type: Runtime.AfterRestoreError" -d '{"errorMessage":"hook failed","errorType":"Runtime.AfterRestoreError"}'
                exit 1
                """));

            var result = await EmulatorProcess.RunAsync(sandbox.Args("--snapstart", "--invoke", "{}"));

            Assert.Equal(1, result.ExitCode);
            Assert.Contains(result.Stdout, l => l.StartsWith("RESTORE_REPORT Restore Duration: ", StringComparison.Ordinal)
                && l.EndsWith(" ms Status: error Error Type: Runtime.AfterRestoreError", StringComparison.Ordinal));
            var error = Assert.Single(result.Matching("ERROR RequestId: "));
            Assert.Contains("hook failed", error, StringComparison.Ordinal);
            Assert.Contains(result.Matching("REPORT "), l => l.Contains("Status: error Error Type: Runtime.AfterRestoreError", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Restore_next_exists_only_with_snapstart()
    {
        using var sandbox = new TestSandbox();
        sandbox.Runtime(Scripts.Runtime(init: """echo "[runtime] restore/next $(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "$API/restore/next")" """));

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--invoke", "{}"));

        Assert.True(result.ExitCode == 0, result.Transcript);
        Assert.Contains("[runtime] restore/next 404", result.Stdout);
        Assert.Empty(result.Matching("RESTORE_"));
    }

    [Fact]
    public async Task Credentials_come_only_from_the_endpoint_with_the_token_and_a_new_session_starts_at_the_restore()
    {
        using var sandbox = new TestSandbox();
        const string Fetch = """curl -sS -H "Authorization: $AWS_CONTAINER_AUTHORIZATION_TOKEN" "$AWS_CONTAINER_CREDENTIALS_FULL_URI" """;
        sandbox.Extension("ext", Scripts.Extension(
                beforeRegister: $$"""
                    echo "[ext] init creds $({{Fetch}})"
                    echo "[ext] wrong token $(curl -sS -w ' %{http_code}' -H 'Authorization: nope' "$AWS_CONTAINER_CREDENTIALS_FULL_URI" | tr -d '\n')"
                    """,
                onInvoke: $$"""echo "[ext] invoke creds $({{Fetch}})" """))
            .Runtime(Scripts.Runtime());
        var before = DateTimeOffset.UtcNow;

        var result = await EmulatorProcess.RunAsync(sandbox.Args(
            "--snapstart", "--env", "AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "--env", "AWS_SECRET_ACCESS_KEY=secret", "--credentials-lifetime", "600", "--invoke", "{}"));

        Assert.True(result.ExitCode == 0, result.Transcript);
        Assert.Contains("[ext] wrong token cannot get credentials for the provided token 404", result.Stdout);
        var init = Credentials(result, "[ext] init creds ");
        var restored = Credentials(result, "[ext] invoke creds ");
        Assert.Equal(("AKIDEXAMPLE", "secret"), (init.Key, init.Secret));
        Assert.Equal(("AKIDEXAMPLE", "secret"), (restored.Key, restored.Secret));
        Assert.StartsWith("emulator-session-1-issued-", init.Token, StringComparison.Ordinal);
        Assert.StartsWith("emulator-session-2-issued-", restored.Token, StringComparison.Ordinal);
        Assert.InRange(init.Expiration - before, TimeSpan.FromSeconds(590), TimeSpan.FromSeconds(700));
        Assert.True(restored.Expiration > init.Expiration, $"{restored.Expiration:O} after {init.Expiration:O}");
        Assert.True(Issued(restored.Token) > Issued(init.Token));
        Assert.True(result.IndexOf("[ext] init creds ") < result.IndexOf(l => l.StartsWith("RESTORE_START ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task The_restore_destroys_the_sandboxs_connections_to_the_outside_and_keeps_those_to_the_runtime_api()
    {
        using var outside = new TcpListener(IPAddress.Loopback, 0);
        outside.Start();
        var port = ((IPEndPoint)outside.LocalEndpoint).Port;
        using var sandbox = new TestSandbox();
        sandbox.Extension("ext", Scripts.Extension(afterRegister: """
                exec 3<>/dev/tcp/127.0.0.1/$OUTSIDE_PORT
                echo "hello from INIT" >&3
                echo "[ext] connected"
                """, onInvoke: """
                if echo "after the restore" >&3 2>/dev/null; then echo "[ext] write after restore ok"; else echo "[ext] write after restore failed"; fi
                """))
            .Runtime(Scripts.Runtime());
        await using var emulator = EmulatorProcess.Start(sandbox.Args("--snapstart", "--port", "0", "--env", $"OUTSIDE_PORT={port}"));
        var invokePort = await emulator.ServePortAsync(Generous.Wait);
        using var accepted = await outside.AcceptTcpClientAsync().WaitAsync(Generous.Wait);
        var stream = accepted.GetStream();
        var buffer = new byte[64];
        var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(Generous.Wait);
        Assert.Equal("hello from INIT\n", System.Text.Encoding.ASCII.GetString(buffer, 0, read));
        await emulator.Stderr.WaitForAsync(l => l.Contains("snapshot taken", StringComparison.Ordinal), Generous.Wait, "the snapshot");

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{invokePort}") };
        using var response = await http.PostAsync(new Uri(InvokeUrl, UriKind.Relative), new StringContent("{}"));

        // The outside end sees the connection reset, never the extension's later bytes; the extension's own write fails;
        // its pending next (a connection to the Runtime API) answered the invoke.
        Assert.True(response.IsSuccessStatusCode);
        var end = await ReadUntilClosedAsync(stream);
        Assert.True(end is "reset" or "closed", end);
        await emulator.Stdout.WaitForAsync(l => l.StartsWith("[ext] write after restore ", StringComparison.Ordinal), Generous.Wait, "the extension's write");
        Assert.Contains("[ext] write after restore failed", emulator.Stdout.Lines);
        Assert.Contains(emulator.Stderr.Lines, l => l.Contains("restore: dropped 1 TCP connection(s) of the sandbox", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Telemetry_subscribers_get_the_restore_events_in_order()
    {
        using var receiver = new TelemetryReceiver();
        using var sandbox = new TestSandbox();
        sandbox.Extension("ext", Scripts.Extension(afterRegister: """
                curl -sS -o /dev/null -X PUT "http://${AWS_LAMBDA_RUNTIME_API}/2022-07-01/telemetry" -H "Lambda-Extension-Identifier: $ID" -d "{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],\"buffering\":{\"timeoutMs\":25},\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox.localdomain:$TELEMETRY_PORT/telemetry\"}}"
                """))
            .Runtime(RestoringRuntime());

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--snapstart", "--env", $"TELEMETRY_PORT={receiver.Port}", "--invoke", "{}"));

        Assert.True(result.ExitCode == 0, result.Transcript);
        await receiver.Events.WaitForAsync(e => e.Contains("\"type\":\"platform.report\"", StringComparison.Ordinal), Generous.Wait, "platform.report");
        var types = receiver.Events.Lines.Select(e => JsonDocument.Parse(e).RootElement.GetProperty("type").GetString()).ToList();
        Assert.Equal(
            ["platform.restoreStart", "platform.restoreRuntimeDone", "platform.restoreReport", "platform.start"],
            types.Where(t => t is "platform.restoreStart" or "platform.restoreRuntimeDone" or "platform.restoreReport" or "platform.start"));
        var initStart = receiver.Events.Lines.First(e => e.Contains("\"type\":\"platform.initStart\"", StringComparison.Ordinal));
        Assert.Contains("\"initializationType\":\"snap-start\"", initStart, StringComparison.Ordinal);
        var restoreReport = receiver.Events.Lines.Single(e => e.Contains("\"type\":\"platform.restoreReport\"", StringComparison.Ordinal));
        using var report = JsonDocument.Parse(restoreReport);
        Assert.Equal("success", report.RootElement.GetProperty("record").GetProperty("status").GetString());
        Assert.True(report.RootElement.GetProperty("record").GetProperty("metrics").GetProperty("durationMs").GetDouble() > 0);
        var restoreStart = receiver.Events.Lines.Single(e => e.Contains("\"type\":\"platform.restoreStart\"", StringComparison.Ordinal));
        Assert.Contains("\"functionVersion\":\"1\"", restoreStart, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Snapstart_cannot_be_combined_with_managed_instances()
    {
        var result = await EmulatorProcess.RunAsync(["--snapstart", "--managed-instances", "--invoke", "{}"]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(result.Stderr, l => l.Contains("--snapstart and --managed-instances cannot be combined", StringComparison.Ordinal));
    }

    private static (string Key, string Secret, string Token, DateTimeOffset Expiration) Credentials(EmulatorResult result, string prefix)
    {
        var line = Assert.Single(result.Stdout, l => l.StartsWith(prefix, StringComparison.Ordinal));
        using var json = JsonDocument.Parse(line[prefix.Length..]);
        var root = json.RootElement;
        return (root.GetProperty("AccessKeyId").GetString()!, root.GetProperty("SecretAccessKey").GetString()!, root.GetProperty("Token").GetString()!,
            root.GetProperty("Expiration").GetDateTimeOffset());
    }

    private static long Issued(string token) => long.Parse(token.Split('-')[4], CultureInfo.InvariantCulture);

    /// <summary>Reads until the peer's end: "reset" (RST), "closed" (FIN) or what came in between.</summary>
    private static async Task<string> ReadUntilClosedAsync(NetworkStream stream)
    {
        var buffer = new byte[256];
        var received = new System.Text.StringBuilder();
        try
        {
            while (true)
            {
                var n = await stream.ReadAsync(buffer).AsTask().WaitAsync(Generous.Wait);
                if (n == 0)
                {
                    return received.Length == 0 ? "closed" : $"closed after '{received}'";
                }

                received.Append(System.Text.Encoding.ASCII.GetString(buffer, 0, n));
            }
        }
        catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
        {
            return received.Length == 0 ? "reset" : $"reset after '{received}'";
        }
    }
}
