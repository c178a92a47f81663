namespace ExtensionCache.Extension.Publishing;

/// <summary>
/// A bundle could not be prepared. <see cref="ErrorType"/> is what the extension reports through
/// <c>init/error</c> (for example <c>Extension.BundleNotFound</c>); the message names the bundle, the entry or
/// setting at fault, and the cause.
/// </summary>
public sealed class BundleException : Exception
{
    public BundleException(string errorType, string message)
        : base(message)
    {
        ErrorType = errorType;
    }

    public BundleException(string errorType, string message, Exception innerException)
        : base(message, innerException)
    {
        ErrorType = errorType;
    }

    public BundleException()
        : this(BundleErrorTypes.FetchFailed, "The bundle could not be prepared.")
    {
    }

    public BundleException(string message)
        : this(BundleErrorTypes.FetchFailed, message)
    {
    }

    public BundleException(string message, Exception innerException)
        : this(BundleErrorTypes.FetchFailed, message, innerException)
    {
    }

    public string ErrorType { get; }
}
