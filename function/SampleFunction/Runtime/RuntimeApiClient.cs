using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using SampleFunction.Serialization;

namespace SampleFunction.Runtime;

/// <summary>
/// The HTTP contract of the Lambda Runtime API. Written by hand because Amazon.Lambda.RuntimeSupport is not
/// available here; the surface is four calls.
/// </summary>
public sealed class RuntimeApiClient : IDisposable
{
    private const string ApiVersion = "2018-06-01";
    private readonly HttpClient http;

    public RuntimeApiClient(string runtimeApiAddress)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runtimeApiAddress);
        // "next" is a long poll that lasts until the next invoke: no client timeout.
        http = new HttpClient
        {
            BaseAddress = new Uri($"http://{runtimeApiAddress}/{ApiVersion}/"),
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public async Task<Invocation> NextAsync(CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(new Uri("runtime/invocation/next", UriKind.Relative), cancellationToken)
            .ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        var payload = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var requestId = Header(response, RuntimeApiHeaders.RequestId)
            ?? throw new InvalidOperationException($"The Runtime API sent no {RuntimeApiHeaders.RequestId} header.");
        var deadline = long.TryParse(Header(response, RuntimeApiHeaders.DeadlineMs), NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms)
            ? ms
            : 0;
        return new Invocation(
            requestId,
            deadline,
            Header(response, RuntimeApiHeaders.InvokedFunctionArn),
            Header(response, RuntimeApiHeaders.TraceId),
            payload);
    }

    public async Task RespondAsync(string requestId, Stream body, CancellationToken cancellationToken)
    {
        using var content = new StreamContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync(
            new Uri($"runtime/invocation/{Uri.EscapeDataString(requestId)}/response", UriKind.Relative), content, cancellationToken)
            .ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
    }

    public Task ReportInvocationErrorAsync(string requestId, ErrorReport error, CancellationToken cancellationToken) =>
        PostErrorAsync($"runtime/invocation/{Uri.EscapeDataString(requestId)}/error", error, cancellationToken);

    public Task ReportInitErrorAsync(ErrorReport error, CancellationToken cancellationToken) =>
        PostErrorAsync("runtime/init/error", error, cancellationToken);

    public void Dispose() => http.Dispose();

    private async Task PostErrorAsync(string path, ErrorReport error, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(error, SampleJsonContext.Default.ErrorReport));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative)) { Content = content };
        request.Headers.TryAddWithoutValidation(RuntimeApiHeaders.FunctionErrorType, error.ErrorType);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
