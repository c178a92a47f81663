namespace ExtensionCache.Extension.Sources;

/// <summary>A failure worth retrying: 5xx, throttling, a dropped connection, a short body.</summary>
public sealed class TransientSourceException : Exception
{
    public TransientSourceException()
    {
    }

    public TransientSourceException(string message)
        : base(message)
    {
    }

    public TransientSourceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
