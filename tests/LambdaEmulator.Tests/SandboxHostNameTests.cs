using System.Text.Json;
using LambdaEmulator.Tests.Harness;

namespace LambdaEmulator.Tests;

/// <summary>
/// sandbox.localdomain, the execution environment's own name in Lambda, resolves to 127.0.0.1 for every sandbox
/// process: AWS's samples bind their Telemetry listener to it and subscribe with it.
/// </summary>
public sealed class SandboxHostNameTests
{
    // A Telemetry API listener as AWS's samples write it: bound to sandbox.localdomain, one JSON batch per POST,
    // each record written to a file in /tmp (printing it would feed the listener its own log lines).
    private const string Listener = """
        import http.server, json, os, sys
        out = os.path.join(os.environ.get("TMPDIR", "/tmp"), "received.jsonl")
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                batch = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with open(out, "a") as f:
                    for item in batch:
                        f.write(json.dumps(item) + "\n")
                self.send_response(200)
                self.end_headers()
            def log_message(self, *args):
                pass
        server = http.server.HTTPServer(("sandbox.localdomain", int(sys.argv[1])), Handler)
        open(out + ".ready", "w").close()
        server.serve_forever()
        """;

    private const string StartListenerAndSubscribe = """
        OPT="${LAMBDA_EMULATOR_OPT:-/opt}"; TMP="${TMPDIR:-/tmp}"
        python3 "$OPT/listener.py" "$LISTENER_PORT" 2> "$TMP/listener.err" &
        # python3 starts in well under a second, even on a busy machine; 30 s, still inside INIT's limit, is generous.
        for i in $(seq 600); do [ -f "$TMP/received.jsonl.ready" ] && break; sleep 0.05; done
        echo "[ext] listener: $(cat "$TMP/listener.err")"
        CODE=$(curl -sS -o "$TMP/subscribe-body" -w '%{http_code}' -X PUT "http://${AWS_LAMBDA_RUNTIME_API}/2022-07-01/telemetry" -H "Lambda-Extension-Identifier: $ID" -d "{\"schemaVersion\":\"2022-12-13\",\"types\":[\"function\"],\"buffering\":{\"maxItems\":1000,\"maxBytes\":262144,\"timeoutMs\":25},\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox.localdomain:$LISTENER_PORT/telemetry\"}}")
        echo "[ext] subscribe $CODE $(cat "$TMP/subscribe-body")"
        """;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_telemetry_listener_bound_to_sandbox_localdomain_receives_the_function_log(bool isolate)
    {
        using var sandbox = new TestSandbox();
        var tmp = Path.Combine(sandbox.Root, "sandbox-tmp");
        File.WriteAllText(Path.Combine(sandbox.Layer, "listener.py"), Listener.ReplaceLineEndings("\n"));
        sandbox.Extension("ext", Scripts.Extension(afterRegister: StartListenerAndSubscribe))
            .Runtime(Scripts.Runtime(handler: """
                echo "[runtime] resolves $(getent hosts sandbox.localdomain | tr -s ' ')"
                echo "[runtime] short name $(getent hosts sandbox | tr -s ' ')"
                """));
        string[] isolation = isolate ? ["--isolate"] : [];
        var machineHosts = File.ReadAllText("/etc/hosts");

        var result = await EmulatorProcess.RunAsync(sandbox.Args(
            [.. isolation, "--tmp", tmp, "--env", $"LISTENER_PORT={FreePort.Next()}", "--invoke", "{}"]));

        Assert.True(result.ExitCode == 0, result.Transcript);
        Assert.Contains("[ext] listener: ", result.Stdout);
        Assert.Contains(result.Stdout, l => l.StartsWith("[ext] subscribe 200 ", StringComparison.Ordinal));
        Assert.Contains("[runtime] resolves 127.0.0.1 sandbox.localdomain sandbox", result.Stdout);
        Assert.Contains("[runtime] short name 127.0.0.1 sandbox.localdomain sandbox", result.Stdout);
        // SHUTDOWN flushes what is buffered before the extension is stopped.
        var received = File.ReadAllLines(Path.Combine(tmp, "received.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(received, e => e.GetProperty("type").GetString() == "function"
            && e.GetProperty("record").GetString() == "[runtime] resolves 127.0.0.1 sandbox.localdomain sandbox");
        Assert.Equal(machineHosts, File.ReadAllText("/etc/hosts")); // bound over inside the sandbox only
    }

    [Theory]
    [InlineData("http://0.0.0.0:4243/telemetry", "\"platform\"", "URI host 0.0.0.0 is a bind address")]
    [InlineData("http://sandbox.localdomain/telemetry", "\"platform\"", "URI port is not provided")]
    [InlineData("http://sandbox.localdomain:4243/telemetry", "", "types should not be empty")]
    public async Task A_subscription_lambda_could_not_deliver_is_a_validation_error(string uri, string types, string message)
    {
        using var sandbox = new TestSandbox();
        sandbox.Extension("ext", Scripts.Extension(afterRegister: """
            CODE=$(curl -sS -o "$TMPDIR/subscribe-body" -w '%{http_code}' -X PUT "http://${AWS_LAMBDA_RUNTIME_API}/2022-07-01/telemetry" -H "Lambda-Extension-Identifier: $ID" -d "{\"schemaVersion\":\"2022-12-13\",\"types\":[$TYPES],\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"$URI\"}}")
            echo "[ext] subscribe $CODE $(cat "$TMPDIR/subscribe-body")"
            """)).Runtime(Scripts.Runtime());

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--env", $"URI={uri}", "--env", $"TYPES={types}", "--invoke", "{}"));

        var line = Assert.Single(result.Stdout, l => l.StartsWith("[ext] subscribe ", StringComparison.Ordinal));
        Assert.StartsWith("[ext] subscribe 400 ", line, StringComparison.Ordinal);
        using var body = JsonDocument.Parse(line["[ext] subscribe 400 ".Length..]);
        Assert.Equal("ValidationError", body.RootElement.GetProperty("errorType").GetString());
        Assert.StartsWith(message, body.RootElement.GetProperty("errorMessage").GetString(), StringComparison.Ordinal);
    }
}
