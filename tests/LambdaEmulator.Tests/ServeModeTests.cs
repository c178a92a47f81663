using System.Globalization;
using LambdaEmulator.Tests.Harness;

namespace LambdaEmulator.Tests;

/// <summary>Serve mode answers like the Runtime Interface Emulator: 200 with the body, function errors flagged.</summary>
public sealed class ServeModeTests
{
    [Fact]
    public async Task Function_error_answers_200_with_the_error_body_and_the_function_error_header()
    {
        using var sandbox = new TestSandbox();
        sandbox.Runtime(Scripts.Runtime(handler: """
            curl -sS -o /dev/null -X POST "$API/invocation/$REQUEST_ID/error" -H "Lambda-Runtime-Function-Error-Type: Function.Failed" -d '{"errorMessage":"boom","errorType":"Function.Failed"}'
            continue
            """));
        await using var emulator = EmulatorProcess.Start(sandbox.Args("--port", "0"));
        var port = await emulator.ServePortAsync(Generous.Wait);
        using var http = new HttpClient();

        using var response = await http.PostAsync(
            new Uri($"http://127.0.0.1:{port}/2015-03-31/functions/function/invocations"), new StringContent("{}"));

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Unhandled", Assert.Single(response.Headers.GetValues("X-Amz-Function-Error")));
        Assert.Equal("""{"errorMessage":"boom","errorType":"Function.Failed"}""", await response.Content.ReadAsStringAsync());
        var requestId = Assert.Single(response.Headers.GetValues("X-Amzn-RequestId"));
        await emulator.Stdout.WaitForAsync(l => l.StartsWith($"ERROR RequestId: {requestId} ", StringComparison.Ordinal), Generous.Wait, "ERROR line");
    }
}
