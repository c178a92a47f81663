namespace ExtensionCache.Extension.Logging;

public enum LogLevel
{
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

/// <summary>
/// One line per lifecycle step on stdout (which Lambda sends to the function's log stream):
/// <c>[extension-cache] message key=value ...</c>, or one JSON object per line when
/// <c>AWS_LAMBDA_LOG_FORMAT=JSON</c>. Level from <c>AWS_LAMBDA_LOG_LEVEL</c>.
/// SKELETON: the signatures are the contract; the implementation is filled in with the lifecycle work.
/// </summary>
public sealed class LifecycleLog(TextWriter output, bool json, LogLevel minimum)
{
    public void Write(LogLevel level, string message, params (string Key, object? Value)[] fields)
    {
        if (level < minimum)
        {
            return;
        }

        _ = json;
        var text = "[extension-cache] " + message + string.Concat(fields.Select(f => $" {f.Key}={f.Value}"));
        lock (output)
        {
            output.WriteLine(text);
            output.Flush();
        }
    }

    public void Info(string message, params (string Key, object? Value)[] fields) => Write(LogLevel.Info, message, fields);

    public void Debug(string message, params (string Key, object? Value)[] fields) => Write(LogLevel.Debug, message, fields);

    public void Warn(string message, params (string Key, object? Value)[] fields) => Write(LogLevel.Warn, message, fields);

    public void Error(string message, params (string Key, object? Value)[] fields) => Write(LogLevel.Error, message, fields);
}
