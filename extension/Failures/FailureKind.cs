namespace ExtensionCache.Extension.Failures;

/// <summary>
/// Why the extension failed, as a closed set. Each kind is reported through <c>init/error</c> and the status
/// file as its <c>Extension.*</c> error type (<see cref="FailureKinds.ErrorType"/>).
/// </summary>
public enum FailureKind
{
    /// <summary>A setting is invalid; reported before any bundle is touched.</summary>
    ConfigInvalid,

    /// <summary>The cache root cannot be created or cleaned.</summary>
    RootUnavailable,

    /// <summary>A bug in the extension, reported rather than crashing.</summary>
    InternalError,

    BundleNotFound,
    BundleAccessDenied,
    BundleIntegrity,
    BundleUnsafe,
    BundleTooLarge,
    BundleFetchFailed,
    BundleUnsupported,
    BundlePublishFailed,
}
