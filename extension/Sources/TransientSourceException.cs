namespace ExtensionCache.Extension.Sources;

/// <summary>
/// A failure worth retrying: 5xx, throttling, a dropped connection, a short body. <see cref="Throttled"/> marks
/// the server asking for fewer requests (503 SlowDown, 429): those back off longer and cut the requests in flight.
/// </summary>
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

    public bool Throttled { get; init; }
}
