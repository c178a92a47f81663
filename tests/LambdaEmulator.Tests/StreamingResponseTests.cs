using System.Net;
using LambdaEmulator.Tests.Harness;

namespace LambdaEmulator.Tests;

/// <summary>
/// Streamed responses (Lambda-Runtime-Function-Response-Mode: streaming, chunked): an error reported mid-stream in
/// the Lambda-Runtime-Function-Error-Type / -Body trailers reaches the caller; a stream without them is a success.
/// </summary>
public sealed class StreamingResponseTests
{
    // curl cannot send trailers: the response goes out over bash's /dev/tcp, chunk by chunk, as the Runtime API
    // documentation describes it (Trailer header declared up front, error body base64-encoded).
    private const string StreamingRuntime = """
        #!/bin/bash
        API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
        while true; do
          HEADERS=$(mktemp)
          EVENT=$(curl -sS -D "$HEADERS" "$API/invocation/next")
          REQUEST_ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
          exec 3<>"/dev/tcp/${AWS_LAMBDA_RUNTIME_API%:*}/${AWS_LAMBDA_RUNTIME_API#*:}"
          printf 'POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: %s\r\nLambda-Runtime-Function-Response-Mode: streaming\r\nTransfer-Encoding: chunked\r\nTrailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\nConnection: close\r\n\r\n' "$REQUEST_ID" "$AWS_LAMBDA_RUNTIME_API" >&3
          printf '6\r\nchunk1\r\n6\r\nchunk2\r\n0\r\n' >&3
          if [[ "$EVENT" == *fail* ]]; then
            ERROR_BODY=$(printf '{"errorMessage":"stream broke","errorType":"StreamBroke"}' | base64 -w0)
            printf 'Lambda-Runtime-Function-Error-Type: Function.StreamBroke\r\nLambda-Runtime-Function-Error-Body: %s\r\n' "$ERROR_BODY" >&3
          fi
          printf '\r\n' >&3
          echo "[runtime] answer $(head -1 <&3 | tr -d '\r')"
          exec 3<&-
        done
        """;

    [Fact]
    public async Task Error_trailers_after_streamed_chunks_fail_the_invoke_with_the_decoded_error_body()
    {
        using var sandbox = new TestSandbox();
        sandbox.Runtime(StreamingRuntime);

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--invoke", "\"ok\"", "--invoke", "\"fail\""));

        Assert.True(result.ExitCode == 1, result.Transcript);
        Assert.Equal(2, result.Stdout.Count(l => l == "[runtime] answer HTTP/1.1 202 Accepted"));
        Assert.EndsWith(" chunk1chunk2", Assert.Single(result.Matching("RESPONSE ")), StringComparison.Ordinal);
        Assert.EndsWith(" {\"errorMessage\":\"stream broke\",\"errorType\":\"StreamBroke\"}", Assert.Single(result.Matching("ERROR ")), StringComparison.Ordinal);
        Assert.Contains(result.Stderr, l => l.Contains("reported Function.StreamBroke in trailers; streamed part: chunk1chunk2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Serve_mode_flags_a_mid_stream_error_as_a_function_error()
    {
        using var sandbox = new TestSandbox();
        sandbox.Runtime(StreamingRuntime);
        await using var emulator = EmulatorProcess.Start(sandbox.Args("--port", "0"));
        var port = await emulator.ServePortAsync(Generous.Wait);
        using var http = new HttpClient();

        using var response = await http.PostAsync(
            new Uri($"http://127.0.0.1:{port}/2015-03-31/functions/function/invocations"), new StringContent("\"fail\""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Unhandled", Assert.Single(response.Headers.GetValues("X-Amz-Function-Error")));
        Assert.Equal("""{"errorMessage":"stream broke","errorType":"StreamBroke"}""", await response.Content.ReadAsStringAsync());
    }
}
