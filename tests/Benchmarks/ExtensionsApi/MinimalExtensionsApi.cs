using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using ExtensionCache.Benchmarks.Servers;

namespace ExtensionCache.Benchmarks.ExtensionsApi;

/// <summary>
/// Just enough of the Lambda Extensions API (register, next, init/exit error) to run the real binary and time it:
/// the emulator would add its own process and runtime to every sample, this adds one in-process listener.
/// </summary>
public sealed class MinimalExtensionsApi : IAsyncDisposable
{
    private const string Prefix = "/2020-01-01/extension/";
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<long> _registered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _nextArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _releaseNext = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _loop;

    public MinimalExtensionsApi()
    {
        Port = FreePort.Next();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(AcceptAsync);
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
        _listener.Stop();
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException or OperationCanceledException)
        {
            // The listener was stopped under a pending accept: that is how the loop ends.
        }

        _listener.Close();
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var context = await _listener.GetContextAsync().ConfigureAwait(false);
            var arrived = Stopwatch.GetTimestamp();
            _ = Task.Run(() => HandleAsync(context, arrived));
        }
    }

    private async Task HandleAsync(HttpListenerContext context, long arrived)
    {
        var request = context.Request;
        var response = context.Response;
        var path = request.Url?.AbsolutePath ?? string.Empty;
        try
        {
            if (request.HttpMethod == "POST" && path == Prefix + "register")
            {
                _registered.TrySetResult(arrived);
                response.Headers["Lambda-Extension-Identifier"] = Guid.NewGuid().ToString();
                await WriteJsonAsync(response, JsonSerializer.SerializeToUtf8Bytes(new RegisterResponse("bench", "$LATEST", "x"), BenchJsonContext.Default.RegisterResponse)).ConfigureAwait(false);
            }
            else if (request.HttpMethod == "GET" && path == Prefix + "event/next")
            {
                _nextArrived.TrySetResult();
                await _releaseNext.Task.WaitAsync(_stop.Token).ConfigureAwait(false);
                var deadline = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 2000;
                await WriteJsonAsync(response, JsonSerializer.SerializeToUtf8Bytes(new ShutdownEvent("SHUTDOWN", "spindown", deadline), BenchJsonContext.Default.ShutdownEvent)).ConfigureAwait(false);
            }
            else if (request.HttpMethod == "POST" && (path == Prefix + "init/error" || path == Prefix + "exit/error"))
            {
                using var reader = new StreamReader(request.InputStream, Encoding.UTF8);
                var body = await reader.ReadToEndAsync(_stop.Token).ConfigureAwait(false);
                ReportedError = $"{path}: {request.Headers["Lambda-Extension-Function-Error-Type"]} {body}";
                response.StatusCode = 202;
                response.Close();
                _registered.TrySetException(new InvalidOperationException("extension reported " + ReportedError));
            }
            else
            {
                response.StatusCode = 404;
                response.Close();
            }
        }
        catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            // The extension went away or the harness is stopping: the run's outcome is decided elsewhere.
        }
    }

    private static async Task WriteJsonAsync(HttpListenerResponse response, byte[] body)
    {
        response.StatusCode = 200;
        response.ContentType = "application/json";
        response.ContentLength64 = body.Length;
        await response.OutputStream.WriteAsync(body).ConfigureAwait(false);
        response.Close();
    }
}
