using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace LambdaEmulator.Tests.Harness;

/// <summary>A real HTTP endpoint standing in for an extension's telemetry listener; keeps every batch it receives.</summary>
internal sealed class TelemetryReceiver : IDisposable
{
    private readonly SemaphoreSlim _oneBatchAtATime = new(1, 1);
    private readonly LoopbackHttpHost _host;

    public TelemetryReceiver()
    {
        _host = LoopbackHttpHost.Start(ReceiveAsync);
        Port = _host.Port;
    }

    public int Port { get; }

    public LineLog Events { get; } = new();

    public List<int> BatchSizes { get; } = [];

    public void Dispose()
    {
        _host.Dispose();
        _oneBatchAtATime.Dispose();
    }

    private async Task ReceiveAsync(HttpContext context)
    {
        await _oneBatchAtATime.WaitAsync();
        try
        {
            using (var reader = new StreamReader(context.Request.Body))
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
            await context.Response.CompleteAsync();
        }
        finally
        {
            _oneBatchAtATime.Release();
        }
    }
}
