namespace ExtensionCache.Extension.Failures;

/// <summary>The one mapping from a <see cref="FailureKind"/> to the <c>Extension.*</c> error type on the wire.</summary>
public static class FailureKinds
{
    public static string ErrorType(this FailureKind kind) => kind switch
    {
        FailureKind.ConfigInvalid => "Extension.ConfigInvalid",
        FailureKind.RootUnavailable => "Extension.RootUnavailable",
        FailureKind.InternalError => "Extension.InternalError",
        FailureKind.BundleNotFound => "Extension.BundleNotFound",
        FailureKind.BundleAccessDenied => "Extension.BundleAccessDenied",
        FailureKind.BundleIntegrity => "Extension.BundleIntegrity",
        FailureKind.BundleUnsafe => "Extension.BundleUnsafe",
        FailureKind.BundleTooLarge => "Extension.BundleTooLarge",
        FailureKind.BundleFetchFailed => "Extension.BundleFetchFailed",
        FailureKind.BundleUnsupported => "Extension.BundleUnsupported",
        FailureKind.BundlePublishFailed => "Extension.BundlePublishFailed",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a failure kind"),
    };

    /// <summary>A failure's message as reported for one bundle: the one place the bundle's name is put in front.</summary>
    public static string ForBundle(string bundle, string reason) => $"bundle {bundle}: {reason}";

    /// <summary>
    /// Whether a later attempt may get past a failure of this kind (the network, the server, credentials, time), so
    /// the files a stopped attempt wrote are worth keeping for it. A bad or too large archive fails again the same way.
    /// </summary>
    public static bool NextAttemptMayPass(this FailureKind kind) =>
        kind is FailureKind.BundleFetchFailed or FailureKind.BundleNotFound or FailureKind.BundleAccessDenied;

    /// <summary>
    /// Any exception from preparing a bundle as a <see cref="BundleException"/>: itself when it is one; ENOSPC as a
    /// bundle too large for the root; other file-system errors as a publish failure; the rest as a fetch failure.
    /// </summary>
    public static BundleException Classify(Exception ex) => ex switch
    {
        BundleException bundle => bundle,
        IOException io when DiskFull.Is(io) => DiskFull.Failure($"no space left in the cache root: {io.Message}", io),
        IOException or UnauthorizedAccessException =>
            new BundleException(FailureKind.BundlePublishFailed, $"file system error in the cache root: {ex.Message}", ex),
        _ => new BundleException(FailureKind.BundleFetchFailed, $"{ex.GetType().Name}: {ex.Message}", ex),
    };
}
