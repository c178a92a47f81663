using System.Collections.Concurrent;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;

namespace ExtensionCache.Tests.Lambda;

/// <summary>
/// A real loopback HTTP server (<see cref="LoopbackHttpHost"/>) speaking the Extensions API (2020-01-01) the way
/// Lambda does, so the client and the lifecycle are exercised over real sockets. Events for event/next are queued by
/// the test.
/// </summary>
public sealed class FakeExtensionsApi : IAsyncDisposable
{
    public const string Identifier = "0f4a3a6e-0000-4000-8000-000000000001";

    /// <summary>
    /// Lambda's SHUTDOWN budget for extensions (the event's deadline): an extension still running after it is
    /// killed. A limit the tests hold the extension to, after SHUTDOWN or SIGTERM: the work in it (return from next,
    /// cancel a held request, delete a staging folder, exit) takes milliseconds even on a busy machine.
    /// </summary>
    public static readonly TimeSpan ShutdownBudget = TimeSpan.FromMilliseconds(2_000);

    private readonly LoopbackHttpHost host;
    private readonly Channel<string> events = Channel.CreateUnbounded<string>();
    private readonly Channel<RecordedRequest> received = Channel.CreateUnbounded<RecordedRequest>();
    private readonly ConcurrentQueue<RecordedRequest> all = new();
    private readonly CancellationTokenSource stopping = new();
    private bool disposed;

    public FakeExtensionsApi()
    {
        host = LoopbackHttpHost.Start(HandleAsync);
        Port = host.Port;
    }

    public int Port { get; }

    public string RuntimeApi => $"127.0.0.1:{Port}";

    /// <summary>Status register answers with; 200 by default.</summary>
    public int RegisterStatus { get; set; } = 200;

    /// <summary>Runs when register arrives, before it is answered (to look at the file system at that moment).</summary>
    public Action? OnRegister { get; set; }

    public IReadOnlyList<RecordedRequest> Requests => [.. all];

    public void Enqueue(string eventJson) => events.Writer.TryWrite(eventJson);

    public void EnqueueShutdown(string reason = "spindown") =>
        Enqueue($$"""{"eventType":"SHUTDOWN","shutdownReason":"{{reason}}","deadlineMs":{{DateTimeOffset.UtcNow.Add(ShutdownBudget).ToUnixTimeMilliseconds()}}}""");

    /// <summary>Waits for the next request whose path ends with <paramref name="pathSuffix"/> (within <see cref="Generous.Wait"/> unless given).</summary>
    public async Task<RecordedRequest> WaitForAsync(string pathSuffix, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Generous.Wait);
        while (true)
        {
            var request = await received.Reader.ReadAsync(cts.Token);
            if (request.Path.EndsWith(pathSuffix, StringComparison.Ordinal))
            {
                return request;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        await stopping.CancelAsync();
        await host.DisposeAsync();
        stopping.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var headers = request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var recorded = new RecordedRequest(request.Method, request.Path.Value ?? "/", headers, body);
        all.Enqueue(recorded);

        var response = context.Response;
        try
        {
            switch (recorded.Path)
            {
                case "/2020-01-01/extension/register":
                    OnRegister?.Invoke();
                    response.StatusCode = RegisterStatus;
                    if (RegisterStatus == 200)
                    {
                        response.Headers["Lambda-Extension-Identifier"] = Identifier;
                        await WriteAsync(response, """{"functionName":"my-function","functionVersion":"$LATEST","handler":"app.handler"}""");
                    }
                    else
                    {
                        await WriteAsync(response, """{"errorMessage":"name is not allowed","errorType":"Extension.InvalidExtensionName"}""");
                    }

                    break;
                case "/2020-01-01/extension/event/next":
                    received.Writer.TryWrite(recorded);
                    var next = await events.Reader.ReadAsync(stopping.Token);
                    await WriteAsync(response, next);
                    return;
                case "/2020-01-01/extension/init/error":
                case "/2020-01-01/extension/exit/error":
                    response.StatusCode = 202;
                    await WriteAsync(response, """{"status":"OK"}""");
                    break;
                default:
                    response.StatusCode = 404;
                    await WriteAsync(response, "{}");
                    break;
            }

            received.Writer.TryWrite(recorded);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            context.Abort();
        }
    }

    private static async Task WriteAsync(HttpResponse response, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        response.ContentType = "application/json";
        response.ContentLength = bytes.Length;
        await response.Body.WriteAsync(bytes);
        await response.CompleteAsync();
    }
}
