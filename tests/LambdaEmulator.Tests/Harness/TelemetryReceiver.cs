using System.Net;
using System.Text.Json;

namespace LambdaEmulator.Tests.Harness;

/// <summary>A real HTTP endpoint standing in for an extension's telemetry listener; keeps every batch it receives.</summary>
internal sealed class TelemetryReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    public TelemetryReceiver()
    {
        Port = FreePort.Next();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(ReceiveAsync);
    }

    public int Port { get; }

    public LineLog Events { get; } = new();

    public List<int> BatchSizes { get; } = [];

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
    }

    private async Task ReceiveAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using (var reader = new StreamReader(context.Request.InputStream))
            {
                using var batch = JsonDocument.Parse(await reader.ReadToEndAsync());
                lock (BatchSizes)
                {
                    BatchSizes.Add(batch.RootElement.GetArrayLength());
                }

                foreach (var item in batch.RootElement.EnumerateArray())
                {
                    Events.Add(item.GetRawText());
                }
            }

            context.Response.StatusCode = 200;
            context.Response.Close();
        }
    }
}
