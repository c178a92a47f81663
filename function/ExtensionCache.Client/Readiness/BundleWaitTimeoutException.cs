namespace ExtensionCache.Client.Readiness;

/// <summary>No status file appeared for a bundle within the timeout.</summary>
public sealed class BundleWaitTimeoutException : TimeoutException
{
    /// <summary>Creates the exception with advice on the usual causes.</summary>
    public BundleWaitTimeoutException(string bundleName, string statusPath, TimeSpan timeout)
        : base($"Bundle '{bundleName}' was not ready after {timeout.TotalSeconds:0.###} s: no status file appeared at "
            + $"{statusPath}. Check that the extension-cache layer is attached and that EXTENSION_CACHE_BUNDLES lists "
            + $"'{bundleName}'. With EXTENSION_CACHE_MODE=before-register (the default) the file exists before the "
            + "function starts; with EXTENSION_CACHE_MODE=overlap allow a timeout long enough for the download.")
    {
        BundleName = bundleName;
        StatusPath = statusPath;
        Timeout = timeout;
    }

    /// <summary>The bundle name.</summary>
    public string BundleName { get; }

    /// <summary>The status file that was waited for.</summary>
    public string StatusPath { get; }

    /// <summary>How long it waited.</summary>
    public TimeSpan Timeout { get; }
}
