namespace ExtensionCache.Client.Readiness;

/// <summary>The extension recorded that it could not prepare a bundle (<c>status: failed</c>).</summary>
public sealed class BundleFailedException : Exception
{
    /// <summary>Creates the exception from what the status file says.</summary>
    public BundleFailedException(string bundleName, string statusPath, string? errorType, string? errorMessage)
        : base($"Bundle '{bundleName}' was not prepared by the extension-cache layer: "
            + $"{errorType ?? "Extension.Unknown"}: {errorMessage ?? "(no message)"} (status file: {statusPath}).")
    {
        BundleName = bundleName;
        StatusPath = statusPath;
        ErrorType = errorType;
        ErrorMessage = errorMessage;
    }

    /// <summary>The bundle name.</summary>
    public string BundleName { get; }

    /// <summary>The status file that reported the failure.</summary>
    public string StatusPath { get; }

    /// <summary>The extension's <c>Extension.*</c> error type.</summary>
    public string? ErrorType { get; }

    /// <summary>The extension's message.</summary>
    public string? ErrorMessage { get; }
}
