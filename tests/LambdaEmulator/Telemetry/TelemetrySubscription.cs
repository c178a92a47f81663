using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace LambdaEmulator.Telemetry;

/// <summary>One subscriber: buffers events and POSTs them as JSON arrays when a buffering limit is reached.</summary>
public sealed class TelemetrySubscription
{
    private readonly Channel<(string Json, int Bytes)> _events = Channel.CreateUnbounded<(string, int)>();
    private readonly HttpClient _http;
    private readonly Func<Task> _whenThawed;
    private readonly TimeProvider _time;
    private readonly TextWriter _diagnostics;
    private readonly Task _delivery;

    public TelemetrySubscription(
        string extensionName, SubscriptionApi api, IReadOnlySet<TelemetryCategory> categories, TelemetryBuffering buffering, Uri destination,
        HttpClient http, Func<Task> whenThawed, TimeProvider time, TextWriter diagnostics)
    {
        ExtensionName = extensionName;
        Api = api;
        Categories = categories;
        Buffering = buffering;
        Destination = destination;
        _http = http;
        _whenThawed = whenThawed;
        _time = time;
        _diagnostics = diagnostics;
        _delivery = Task.Run(DeliverAsync);
    }

    public string ExtensionName { get; }

    public SubscriptionApi Api { get; }

    public IReadOnlySet<TelemetryCategory> Categories { get; }

    public bool Wants(TelemetryCategory category, string type) => Categories.Contains(category) && Api.Delivers(type);

    public TelemetryBuffering Buffering { get; }

    public Uri Destination { get; }

    public void Enqueue(string eventJson) => _events.Writer.TryWrite((eventJson, Encoding.UTF8.GetByteCount(eventJson)));

    /// <summary>Stops taking events and waits until everything buffered has been delivered (or given up on).</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        _events.Writer.TryComplete();
        await _delivery.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task DeliverAsync()
    {
        var reader = _events.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            var batch = new List<string>();
            var bytes = 0;
            using var window = new CancellationTokenSource(TimeSpan.FromMilliseconds(Buffering.TimeoutMs), _time);
            try
            {
                while (batch.Count < Buffering.MaxItems && bytes < Buffering.MaxBytes)
                {
                    if (reader.TryRead(out var item))
                    {
                        batch.Add(item.Json);
                        bytes += item.Bytes;
                        continue;
                    }

                    if (!await reader.WaitToReadAsync(window.Token).ConfigureAwait(false))
                    {
                        break;
                    }
                }
            }
            catch (OperationCanceledException) when (window.IsCancellationRequested)
            {
                // The buffering window elapsed: send what we have.
            }

            if (batch.Count > 0)
            {
                await PostAsync(batch).ConfigureAwait(false);
            }
        }
    }

    private async Task PostAsync(List<string> batch)
    {
        var body = "[" + string.Join(',', batch) + "]";
        await _whenThawed().ConfigureAwait(false);
        try
        {
            using var content = new StringContent(body, Encoding.UTF8, "application/json");
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5), _time);
            using var response = await _http.PostAsync(Destination, content, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            // Lambda drops what a subscriber cannot take; so do we, but say so.
            await _diagnostics.WriteLineAsync($"[emulator] telemetry delivery to {Destination} failed: {e.Message}").ConfigureAwait(false);
        }
    }

    internal static string Serialize(DateTimeOffset time, string type, JsonNode? record) =>
        new JsonObject
        {
            ["time"] = time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture),
            ["type"] = type,
            ["record"] = record?.DeepClone(),
        }.ToJsonString();
}
