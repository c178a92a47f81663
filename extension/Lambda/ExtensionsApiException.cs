using System.Net;

namespace ExtensionCache.Extension.Lambda;

/// <summary>The Extensions API refused a call or answered something unreadable.</summary>
public sealed class ExtensionsApiException : Exception
{
    public ExtensionsApiException(string message, HttpStatusCode? statusCode = null, string? errorType = null)
        : base(message)
    {
        StatusCode = statusCode;
        ErrorType = errorType;
    }

    public ExtensionsApiException()
    {
    }

    public ExtensionsApiException(string message)
        : base(message)
    {
    }

    public ExtensionsApiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public HttpStatusCode? StatusCode { get; }

    /// <summary>The <c>errorType</c> of the API's error body, for example <c>Extension.InvalidExtensionName</c>.</summary>
    public string? ErrorType { get; }
}
