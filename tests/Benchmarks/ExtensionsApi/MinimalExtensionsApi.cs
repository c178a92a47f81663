using System.Diagnostics;
using System.Text;
using System.Text.Json;
using ExtensionCache.TestSupport;
using Microsoft.AspNetCore.Http;

namespace ExtensionCache.Benchmarks.ExtensionsApi;

/// <summary>
/// Just enough of the Lambda Extensions API (register, next, init/exit error) to run the real binary and time it:
/// the emulator would add its own process and runtime to every sample, this adds one in-process listener
/// (<see cref="LoopbackHttpHost"/>).
/// </summary>
public sealed class MinimalExtensionsApi : IAsyncDisposable
{
    private const string Prefix = "/2020-01-01/extension/";
    private readonly LoopbackHttpHost _host;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<long> _registered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _nextArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _releaseNext = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public MinimalExtensionsApi()
    {
        _host = LoopbackHttpHost.Start(HandleAsync);
        Port = _host.Port;
    }

    public int Port { get; }

    /// <summary>Completes with the Stopwatch timestamp at which register arrived.</summary>
    public Task<long> Registered => _registered.Task;

    /// <summary>Completes when the extension is parked in its first next (INIT done, idle).</summary>
    public Task NextArrived => _nextArrived.Task;

    /// <summary>What the extension reported through init/error or exit/error, if it did.</summary>
    public string? ReportedError { get; private set; }

    /// <summary>Lets the parked next return the SHUTDOWN event.</summary>
    public void SendShutdown() => _releaseNext.TrySetResult();

    public async ValueTask DisposeAsync()
    {
        _releaseNext.TrySetResult();
        await _stop.CancelAsync().ConfigureAwait(false);
        await _host.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var arrived = Stopwatch.GetTimestamp();
        var request = context.Request;
        var response = context.Response;
        var path = request.Path.Value ?? string.Empty;
        try
        {
            if (request.Method == "POST" && path == Prefix + "register")
            {
                _registered.TrySetResult(arrived);
                response.Headers["Lambda-Extension-Identifier"] = Guid.NewGuid().ToString();
                await WriteJsonAsync(response, JsonSerializer.SerializeToUtf8Bytes(new RegisterResponse("bench", "$LATEST", "x"), BenchJsonContext.Default.RegisterResponse)).ConfigureAwait(false);
            }
            else if (request.Method == "GET" && path == Prefix + "event/next")
            {
                _nextArrived.TrySetResult();
                await _releaseNext.Task.WaitAsync(_stop.Token).ConfigureAwait(false);
                var deadline = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 2000;
                await WriteJsonAsync(response, JsonSerializer.SerializeToUtf8Bytes(new ShutdownEvent("SHUTDOWN", "spindown", deadline), BenchJsonContext.Default.ShutdownEvent)).ConfigureAwait(false);
            }
            else if (request.Method == "POST" && (path == Prefix + "init/error" || path == Prefix + "exit/error"))
            {
                using var reader = new StreamReader(request.Body, Encoding.UTF8);
                var body = await reader.ReadToEndAsync(_stop.Token).ConfigureAwait(false);
                ReportedError = $"{path}: {request.Headers["Lambda-Extension-Function-Error-Type"]} {body}";
                response.StatusCode = 202;
                await response.CompleteAsync().ConfigureAwait(false);
                _registered.TrySetException(new InvalidOperationException("extension reported " + ReportedError));
            }
            else
            {
                response.StatusCode = 404;
            }
        }
        catch (Exception exception) when (exception is ObjectDisposedException or OperationCanceledException or IOException)
        {
            // The extension went away or the harness is stopping: the run's outcome is decided elsewhere.
            context.Abort();
        }
    }

    private static async Task WriteJsonAsync(HttpResponse response, byte[] body)
    {
        response.StatusCode = 200;
        response.ContentType = "application/json";
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body).ConfigureAwait(false);
        await response.CompleteAsync().ConfigureAwait(false);
    }
}
