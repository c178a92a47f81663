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
}
