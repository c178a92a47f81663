using System.Net;
using System.Text.Json;
using ExtensionCache.Extension.Lambda;

namespace ExtensionCache.Tests.Lambda;

public sealed class ExtensionsApiClientTests : IAsyncLifetime
{
    private readonly FakeExtensionsApi api = new();
    private ExtensionsApiClient client = null!;

    public Task InitializeAsync()
    {
        client = new ExtensionsApiClient(api.RuntimeApi);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        client.Dispose();
        await api.DisposeAsync();
    }

    [Fact]
    public async Task Register_sends_the_name_header_and_events_and_returns_the_identifier()
    {
        ExtensionEventType[] events = [ExtensionEventType.Shutdown];
        var registration = await client.RegisterAsync("extension-cache", events, CancellationToken.None);

        Assert.Equal(new ExtensionRegistration(FakeExtensionsApi.Identifier, "my-function", "$LATEST", "app.handler", events), registration);
        var request = Assert.Single(api.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/2020-01-01/extension/register", request.Path);
        Assert.Equal("extension-cache", request.Headers["Lambda-Extension-Name"]);
        Assert.StartsWith("application/json", request.Headers["Content-Type"], StringComparison.Ordinal);
        Assert.Equal("""{"events":["SHUTDOWN"]}""", request.Body);
    }

    [Fact]
    public async Task Register_refused_throws_with_status_and_error_type()
    {
        api.RegisterStatus = 403;

        var error = await Assert.ThrowsAsync<ExtensionsApiException>(() => client.RegisterAsync("bad", [ExtensionEventType.Invoke, ExtensionEventType.Shutdown], CancellationToken.None));

        Assert.Equal(HttpStatusCode.Forbidden, error.StatusCode);
        Assert.Equal("Extension.InvalidExtensionName", error.ErrorType);
        Assert.Contains("register answered 403", error.Message, StringComparison.Ordinal);
        Assert.Equal("""{"events":["INVOKE","SHUTDOWN"]}""", Assert.Single(api.Requests).Body);
    }

    [Theory]
    [InlineData("SHUTDOWN", "SPINDOWN", "spindown")]
    [InlineData("shutdown", "timeout", "timeout")]
    [InlineData("Shutdown", "failure", "failure")]
    [InlineData("SHUTDOWN", "something-new", "something-new")]
    public async Task Next_parses_shutdown_in_any_case(string eventType, string reason, string expected)
    {
        api.Enqueue($$"""{"eventType":"{{eventType}}","shutdownReason":"{{reason}}","deadlineMs":1700000000000}""");

        var next = await client.NextAsync(FakeExtensionsApi.Identifier, CancellationToken.None);

        Assert.Equal(new ShutdownEvent(expected, 1_700_000_000_000), next);
        var request = Assert.Single(api.Requests);
        Assert.Equal("GET", request.Method);
        Assert.Equal("/2020-01-01/extension/event/next", request.Path);
        Assert.Equal(FakeExtensionsApi.Identifier, request.Headers["Lambda-Extension-Identifier"]);
    }

    [Theory]
    [InlineData("INVOKE")]
    [InlineData("invoke")]
    public async Task Next_parses_invoke_in_any_case(string eventType)
    {
        api.Enqueue($$$"""{"eventType":"{{{eventType}}}","deadlineMs":"1700000000123","requestId":"req-1","invokedFunctionArn":"arn:aws:lambda:us-east-1:1:function:f","tracing":{"type":"X-Amzn-Trace-Id","value":"Root=1"}}""");

        var next = await client.NextAsync(FakeExtensionsApi.Identifier, CancellationToken.None);

        Assert.Equal(new InvokeEvent("req-1", "arn:aws:lambda:us-east-1:1:function:f", 1_700_000_000_123), next);
    }

    [Fact]
    public async Task Next_tolerates_unknown_event_types_and_missing_reasons()
    {
        api.Enqueue("""{"eventType":"RESTORE"}""");
        api.Enqueue("""{"eventType":"SHUTDOWN"}""");

        Assert.Equal(new UnknownEvent("RESTORE", null), await client.NextAsync("id", CancellationToken.None));
        Assert.Equal(new ShutdownEvent("unknown", null), await client.NextAsync("id", CancellationToken.None));
    }

    [Fact]
    public async Task Next_waits_as_long_as_it_takes_until_cancelled()
    {
        using var cts = new CancellationTokenSource();
        var pending = client.NextAsync("id", cts.Token);
        await api.WaitForAsync("/event/next");
        Assert.False(pending.IsCompleted);

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Errors_carry_identifier_error_type_header_and_json_body(bool init)
    {
        if (init)
        {
            await client.InitErrorAsync("id-7", "Extension.ConfigInvalid", "EXTENSION_CACHE_MODE='x' is not valid", CancellationToken.None);
        }
        else
        {
            await client.ExitErrorAsync("id-7", "Extension.ConfigInvalid", "EXTENSION_CACHE_MODE='x' is not valid", CancellationToken.None);
        }

        var request = Assert.Single(api.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal(init ? "/2020-01-01/extension/init/error" : "/2020-01-01/extension/exit/error", request.Path);
        Assert.Equal("id-7", request.Headers["Lambda-Extension-Identifier"]);
        Assert.Equal("Extension.ConfigInvalid", request.Headers["Lambda-Extension-Function-Error-Type"]);
        Assert.Contains("EXTENSION_CACHE_MODE='x'", request.Body, StringComparison.Ordinal);
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal("EXTENSION_CACHE_MODE='x' is not valid", body.RootElement.GetProperty("errorMessage").GetString());
        Assert.Equal("Extension.ConfigInvalid", body.RootElement.GetProperty("errorType").GetString());
        Assert.Equal(0, body.RootElement.GetProperty("stackTrace").GetArrayLength());
    }

    [Fact]
    public async Task An_unreachable_api_is_an_api_exception()
    {
        var port = api.Port;
        await api.DisposeAsync();
        using var orphan = new ExtensionsApiClient($"127.0.0.1:{port}");

        var error = await Assert.ThrowsAsync<ExtensionsApiException>(() => orphan.RegisterAsync("x", [ExtensionEventType.Shutdown], CancellationToken.None));

        Assert.Null(error.StatusCode);
        Assert.StartsWith("register failed", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("host:1/path")]
    public void A_malformed_runtime_api_is_refused(string runtimeApi) =>
        Assert.ThrowsAny<ArgumentException>(() => new ExtensionsApiClient(runtimeApi));
}
