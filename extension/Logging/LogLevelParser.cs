namespace ExtensionCache.Extension.Logging;

/// <summary>Reads the level names Lambda uses for <c>AWS_LAMBDA_LOG_LEVEL</c> (any case).</summary>
public static class LogLevelParser
{
    public const string Expected = "TRACE, DEBUG, INFO, WARN, ERROR or FATAL";

    public static bool TryParse(string? text, out LogLevel level)
    {
        switch (text?.Trim().ToUpperInvariant())
        {
            case "TRACE":
                level = LogLevel.Trace;
                return true;
            case "DEBUG":
                level = LogLevel.Debug;
                return true;
            case "INFO":
                level = LogLevel.Info;
                return true;
            case "WARN":
            case "WARNING":
                level = LogLevel.Warn;
                return true;
            case "ERROR":
                level = LogLevel.Error;
                return true;
            case "FATAL":
                level = LogLevel.Fatal;
                return true;
            default:
                level = LogLevel.Info;
                return false;
        }
    }

    public static string ToName(LogLevel level) => level switch
    {
        LogLevel.Trace => "TRACE",
        LogLevel.Debug => "DEBUG",
        LogLevel.Info => "INFO",
        LogLevel.Warn => "WARN",
        LogLevel.Error => "ERROR",
        _ => "FATAL",
    };
}
