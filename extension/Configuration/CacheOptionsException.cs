namespace ExtensionCache.Extension.Configuration;

/// <summary>Every configuration problem found, not just the first; each message names its variable.</summary>
public sealed class CacheOptionsException : Exception
{
    public CacheOptionsException(IReadOnlyList<string> errors)
        : base(string.Join("; ", errors))
    {
        Errors = errors;
    }

    public CacheOptionsException()
        : this([])
    {
    }

    public CacheOptionsException(string message)
        : this([message])
    {
    }

    public CacheOptionsException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [message];
    }

    public IReadOnlyList<string> Errors { get; }
}
