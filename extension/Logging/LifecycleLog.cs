using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ExtensionCache.Extension.Logging;

/// <summary>
/// One line per lifecycle step on stdout (which Lambda sends to the function's log stream):
/// <c>[extension-cache] message key=value ...</c>, or one JSON object per line when
/// <c>AWS_LAMBDA_LOG_FORMAT=JSON</c>. Level from <c>EXTENSION_CACHE_LOG_LEVEL</c>, else <c>AWS_LAMBDA_LOG_LEVEL</c>.
/// </summary>
public sealed class LifecycleLog
{
    public const string Prefix = "[extension-cache]";

    private readonly TextWriter output;
    private readonly bool json;
    private readonly LogLevel minimum;
    private readonly TimeProvider time;
    private readonly Lock gate = new();

    // Log lines are read by people and CloudWatch, never embedded in HTML: keep ' + < > readable.
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public LifecycleLog(TextWriter output, bool json, LogLevel minimum)
        : this(output, json, minimum, TimeProvider.System)
    {
    }

    public LifecycleLog(TextWriter output, bool json, LogLevel minimum, TimeProvider time)
    {
        this.output = output;
        this.json = json;
        this.minimum = minimum;
        this.time = time;
    }

    public bool IsJson => json;

    public LogLevel Minimum => minimum;

    /// <summary>
    /// Builds the log from the environment. An invalid <c>EXTENSION_CACHE_LOG_LEVEL</c> falls back to the next
    /// source here; the configuration reports it as an error, so it is never silently ignored.
    /// </summary>
    public static LifecycleLog FromEnvironment(TextWriter output, Func<string, string?> environment)
    {
        var json = string.Equals(environment("AWS_LAMBDA_LOG_FORMAT")?.Trim(), "JSON", StringComparison.OrdinalIgnoreCase);
        if (!LogLevelParser.TryParse(environment("EXTENSION_CACHE_LOG_LEVEL"), out var level)
            && !LogLevelParser.TryParse(environment("AWS_LAMBDA_LOG_LEVEL"), out level))
        {
            level = LogLevel.Info;
        }

        return new LifecycleLog(output, json, level);
    }

    public bool IsEnabled(LogLevel level) => level >= minimum;

    public void Write(LogLevel level, string message, params (string Key, object? Value)[] fields)
    {
        if (!IsEnabled(level))
        {
            return;
        }

        var line = json ? FormatJson(level, message, fields) : FormatText(message, fields);
        lock (gate)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }

    /// <summary>Writes one line as it is (an Embedded Metric Format object), never interleaved with log lines.</summary>
    public void WriteRawLine(string line)
    {
        lock (gate)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }

    public void Info(string message, params (string Key, object? Value)[] fields) => Write(LogLevel.Info, message, fields);

    public void Debug(string message, params (string Key, object? Value)[] fields) => Write(LogLevel.Debug, message, fields);

    public void Warn(string message, params (string Key, object? Value)[] fields) => Write(LogLevel.Warn, message, fields);

    public void Error(string message, params (string Key, object? Value)[] fields) => Write(LogLevel.Error, message, fields);

    private static string FormatText(string message, (string Key, object? Value)[] fields)
    {
        var text = new StringBuilder(Prefix.Length + message.Length + (fields.Length * 16));
        text.Append(Prefix).Append(' ').Append(OneLine(message));
        foreach (var (key, value) in fields)
        {
            text.Append(' ').Append(key).Append('=').Append(QuoteIfNeeded(TextOf(value)));
        }

        return text.ToString();
    }

    private string FormatJson(LogLevel level, string message, (string Key, object? Value)[] fields)
    {
        var buffer = new MemoryStream(256);
        using (var writer = new Utf8JsonWriter(buffer, JsonOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("timestamp", time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            writer.WriteString("level", LogLevelParser.ToName(level));
            writer.WriteString("message", message);
            writer.WriteString("logger", "extension-cache");
            foreach (var (key, value) in fields)
            {
                writer.WritePropertyName(key);
                WriteJsonValue(writer, value);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static void WriteJsonValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case int i:
                writer.WriteNumberValue(i);
                break;
            case long l:
                writer.WriteNumberValue(l);
                break;
            case double d when double.IsFinite(d):
                writer.WriteNumberValue(Math.Round(d, 3));
                break;
            case float f when float.IsFinite(f):
                writer.WriteNumberValue(Math.Round(f, 3));
                break;
            case decimal m:
                writer.WriteNumberValue(m);
                break;
            case IEnumerable items and not string:
                writer.WriteStartArray();
                foreach (var item in items)
                {
                    WriteJsonValue(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                writer.WriteStringValue(TextOf(value));
                break;
        }
    }

    private static string TextOf(object? value) => value switch
    {
        null => "null",
        string s => s,
        bool b => b ? "true" : "false",
        double d => Math.Round(d, 3).ToString(CultureInfo.InvariantCulture),
        float f => Math.Round(f, 3).ToString(CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable items => "[" + string.Join(',', items.Cast<object?>().Select(TextOf)) + "]",
        _ => value.ToString() ?? string.Empty,
    };

    // Text lines are split on newlines by CloudWatch, so one event must stay one line.
    private static string OneLine(string text) =>
        text.Contains('\n', StringComparison.Ordinal) || text.Contains('\r', StringComparison.Ordinal)
            ? text.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)
            : text;

    private static string QuoteIfNeeded(string value)
    {
        var needsQuotes = value.Length == 0;
        foreach (var c in value)
        {
            if (char.IsWhiteSpace(c) || c is '"' or '=' or '\\')
            {
                needsQuotes = true;
                break;
            }
        }

        if (!needsQuotes)
        {
            return value;
        }

        var quoted = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            _ = c switch
            {
                '"' => quoted.Append("\\\""),
                '\\' => quoted.Append("\\\\"),
                '\n' => quoted.Append("\\n"),
                '\r' => quoted.Append("\\r"),
                '\t' => quoted.Append("\\t"),
                _ => quoted.Append(c),
            };
        }

        return quoted.Append('"').ToString();
    }
}
