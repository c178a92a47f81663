using System.Buffers;
using System.Text;
using System.Text.Json;

namespace ExtensionCache.Extension.Logging;

/// <summary>One bundle's figures for one INIT or one refresh check, as <see cref="EmbeddedMetrics"/> writes them.</summary>
public sealed record BundleMetricValues(
    string Bundle,
    string Event,
    long DownloadedBytes,
    long DownloadMs,
    long UnpackMs,
    long Files,
    bool Reused,
    long DeltaBytesSaved,
    int RefreshChecks,
    int RefreshFailures);

/// <summary>
/// CloudWatch Embedded Metric Format: one bare JSON object per stdout line (Lambda sends stdout to CloudWatch
/// Logs, which extracts the metrics), namespace <c>ExtensionCache</c>, dimension <c>Bundle</c>, one line per bundle
/// per INIT and per refresh check. Off with <c>EXTENSION_CACHE_METRICS=off</c>. Written by hand with
/// Utf8JsonWriter: the AWS EMF library is not AOT-safe and brings a dependency for one line.
/// </summary>
public sealed class EmbeddedMetrics(LifecycleLog log, bool enabled, TimeProvider time)
{
    public const string Namespace = "ExtensionCache";
    public const string Dimension = "Bundle";

    /// <summary>The metric names and units, in the order they are written.</summary>
    public static readonly IReadOnlyList<(string Name, string Unit)> Definitions =
    [
        ("DownloadedBytes", "Bytes"),
        ("DownloadMs", "Milliseconds"),
        ("UnpackMs", "Milliseconds"),
        ("Files", "Count"),
        ("Reused", "Count"),
        ("DeltaBytesSaved", "Bytes"),
        ("RefreshChecks", "Count"),
        ("RefreshFailures", "Count"),
    ];

    public bool Enabled => enabled;

    public void Emit(BundleMetricValues values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (enabled)
        {
            log.WriteRawLine(Format(values, time.GetUtcNow()));
        }
    }

    public static string Format(BundleMetricValues values, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(values);
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("_aws");
            json.WriteNumber("Timestamp", now.ToUnixTimeMilliseconds());
            json.WriteStartArray("CloudWatchMetrics");
            json.WriteStartObject();
            json.WriteString("Namespace", Namespace);
            json.WriteStartArray("Dimensions");
            json.WriteStartArray();
            json.WriteStringValue(Dimension);
            json.WriteEndArray();
            json.WriteEndArray();
            json.WriteStartArray("Metrics");
            foreach (var (name, unit) in Definitions)
            {
                json.WriteStartObject();
                json.WriteString("Name", name);
                json.WriteString("Unit", unit);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteString(Dimension, values.Bundle);
            json.WriteString("Event", values.Event);
            json.WriteNumber("DownloadedBytes", values.DownloadedBytes);
            json.WriteNumber("DownloadMs", values.DownloadMs);
            json.WriteNumber("UnpackMs", values.UnpackMs);
            json.WriteNumber("Files", values.Files);
            json.WriteNumber("Reused", values.Reused ? 1 : 0);
            json.WriteNumber("DeltaBytesSaved", values.DeltaBytesSaved);
            json.WriteNumber("RefreshChecks", values.RefreshChecks);
            json.WriteNumber("RefreshFailures", values.RefreshFailures);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
