namespace ExtensionCache.Extension.Logging;

/// <summary>Severity of a lifecycle line; the names match <c>AWS_LAMBDA_LOG_LEVEL</c>.</summary>
public enum LogLevel
{
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
}
