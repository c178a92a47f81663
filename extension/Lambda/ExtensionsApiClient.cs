using System.Net.Http.Headers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using ExtensionCache.Extension.Json;

namespace ExtensionCache.Extension.Lambda;

/// <summary>
/// The Extensions API (2020-01-01) over HTTP: register, event/next, init/error, exit/error.
/// Paths and header names live here and nowhere else.
/// </summary>
public sealed class ExtensionsApiClient : IDisposable
{
    public const string RegisterPath = "2020-01-01/extension/register";
    public const string NextPath = "2020-01-01/extension/event/next";
    public const string InitErrorPath = "2020-01-01/extension/init/error";
    public const string ExitErrorPath = "2020-01-01/extension/exit/error";

    public const string NameHeader = "Lambda-Extension-Name";
    public const string IdentifierHeader = "Lambda-Extension-Identifier";
    public const string ErrorTypeHeader = "Lambda-Extension-Function-Error-Type";

    public const string InvokeEventName = "INVOKE";
    public const string ShutdownEventName = "SHUTDOWN";

    /// <summary>register and the error calls answer at once; only event/next waits (for as long as it takes).</summary>
    private static readonly TimeSpan ShortCallTimeout = TimeSpan.FromSeconds(30);

    private static readonly MediaTypeHeaderValue JsonMediaType = new("application/json");

    // Error messages end up in the Lambda console and logs, never in HTML: keep ' and + readable.
    private static readonly ExtensionsApiJsonContext Json = new(new JsonSerializerOptions(ExtensionsApiJsonContext.Default.Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    private readonly HttpClient http;

    public ExtensionsApiClient(string runtimeApi)
        : this(runtimeApi, CreateHandler())
    {
    }

    public ExtensionsApiClient(string runtimeApi, HttpMessageHandler handler)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runtimeApi);
        if (!Uri.TryCreate("http://" + runtimeApi.Trim().TrimEnd('/') + "/", UriKind.Absolute, out var baseAddress)
            || baseAddress.AbsolutePath != "/")
        {
            throw new ArgumentException($"AWS_LAMBDA_RUNTIME_API='{runtimeApi}' is not host:port", nameof(runtimeApi));
        }

        http = new HttpClient(handler, disposeHandler: true)
        {
            BaseAddress = baseAddress,
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public Uri BaseAddress => http.BaseAddress!;

    public static SocketsHttpHandler CreateHandler() => new()
    {
        // Lambda sets no proxy for the sandbox, and a stray HTTP_PROXY must never see the local API.
        UseProxy = false,
        AllowAutoRedirect = false,
        UseCookies = false,

        // The sandbox is frozen between invokes; a pooled connection may be dead on thaw.
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        ConnectTimeout = TimeSpan.FromSeconds(5),
    };

    public static string EventName(ExtensionEventType type) => type == ExtensionEventType.Invoke ? InvokeEventName : ShutdownEventName;

    public async Task<ExtensionRegistration> RegisterAsync(string extensionName, IReadOnlyList<ExtensionEventType> events, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(extensionName);
        using var request = new HttpRequestMessage(HttpMethod.Post, RegisterPath);
        request.Headers.Add(NameHeader, extensionName);
        request.Content = JsonContent(new RegisterRequest([.. events.Select(EventName)]), Json.RegisterRequest);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ShortCallTimeout);
        using var response = await SendAsync(request, "register", timeout.Token).ConfigureAwait(false);
        var identifier = response.Headers.TryGetValues(IdentifierHeader, out var values) ? values.FirstOrDefault() : null;
        if (string.IsNullOrWhiteSpace(identifier))
        {
            throw new ExtensionsApiException($"register answered {(int)response.StatusCode} without a {IdentifierHeader} header", response.StatusCode);
        }

        var body = await ReadOptionalAsync(response, Json.RegisterResponse, timeout.Token).ConfigureAwait(false);
        return new ExtensionRegistration(identifier, body?.FunctionName, body?.FunctionVersion, body?.Handler, events);
    }

    /// <summary>Long poll for the next event; no timeout, only <paramref name="cancellationToken"/> ends the wait.</summary>
    public async Task<ExtensionEvent> NextAsync(string identifier, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, NextPath);
        request.Headers.Add(IdentifierHeader, identifier);
        using var response = await SendAsync(request, "event/next", cancellationToken).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        EventResponse? body;
        try
        {
            body = JsonSerializer.Deserialize(bytes, Json.EventResponse);
        }
        catch (JsonException e)
        {
            throw new ExtensionsApiException($"event/next answered a body that is not JSON: {e.Message}", e);
        }

        return ToEvent(body);
    }

    public Task InitErrorAsync(string identifier, string errorType, string errorMessage, CancellationToken cancellationToken) =>
        PostErrorAsync(InitErrorPath, "init/error", identifier, errorType, errorMessage, cancellationToken);

    public Task ExitErrorAsync(string identifier, string errorType, string errorMessage, CancellationToken cancellationToken) =>
        PostErrorAsync(ExitErrorPath, "exit/error", identifier, errorType, errorMessage, cancellationToken);

    public void Dispose() => http.Dispose();

    internal static ExtensionEvent ToEvent(EventResponse? body)
    {
        var type = body?.EventType?.Trim();
        if (string.IsNullOrEmpty(type))
        {
            throw new ExtensionsApiException("event/next answered an event without eventType");
        }

        if (type.Equals(ShutdownEventName, StringComparison.OrdinalIgnoreCase))
        {
            var reason = string.IsNullOrWhiteSpace(body!.ShutdownReason) ? "unknown" : body.ShutdownReason.Trim().ToLowerInvariant();
            return new ShutdownEvent(reason, body.DeadlineMs);
        }

        return type.Equals(InvokeEventName, StringComparison.OrdinalIgnoreCase)
            ? new InvokeEvent(body!.RequestId, body.InvokedFunctionArn, body.DeadlineMs)
            : new UnknownEvent(type, body!.DeadlineMs);
    }

    private static ByteArrayContent JsonContent<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(value, typeInfo));
        content.Headers.ContentType = JsonMediaType;
        return content;
    }

    private static async Task<T?> ReadOptionalAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
        where T : class
    {
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (bytes.Length == 0)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(bytes, typeInfo);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async Task PostErrorAsync(string path, string call, string identifier, string errorType, string errorMessage, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Headers.Add(IdentifierHeader, identifier);
        request.Headers.Add(ErrorTypeHeader, errorType);
        request.Content = JsonContent(new ErrorRequest(errorMessage, errorType, []), Json.ErrorRequest);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ShortCallTimeout);
        using var response = await SendAsync(request, call, timeout.Token).ConfigureAwait(false);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, string call, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new ExtensionsApiException($"{call} failed: {e.Message}", e);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var error = await ReadOptionalAsync(response, Json.ErrorRequest, cancellationToken).ConfigureAwait(false);
            var detail = error?.ErrorMessage is { Length: > 0 } message ? $": {error.ErrorType} {message}" : string.Empty;
            throw new ExtensionsApiException($"{call} answered {(int)response.StatusCode}{detail}", response.StatusCode, error?.ErrorType);
        }
    }
}
