namespace ExtensionCache.Extension.Failures;

/// <summary>
/// A bundle could not be prepared. <see cref="Kind"/> says why (reported as its <c>Extension.*</c> error type);
/// <see cref="Reason"/> names the entry, setting or object at fault and the cause. Sources and archive readers
/// throw it without knowing the bundle; <see cref="BundleCache"/> adds the bundle's name (<see cref="ForBundle"/>).
/// </summary>
public sealed class BundleException : Exception
{
    public BundleException(FailureKind kind, string reason)
        : base(reason)
    {
        Kind = kind;
        Reason = reason;
    }

    public BundleException(FailureKind kind, string reason, Exception? innerException)
        : base(reason, innerException)
    {
        Kind = kind;
        Reason = reason;
    }

    private BundleException(FailureKind kind, string bundle, string reason, Exception? innerException)
        : base(FailureKinds.ForBundle(bundle, reason), innerException)
    {
        Kind = kind;
        Bundle = bundle;
        Reason = reason;
    }

    public FailureKind Kind { get; }

    /// <summary>The <c>Extension.*</c> error type of <see cref="Kind"/>.</summary>
    public string ErrorType => Kind.ErrorType();

    /// <summary>The bundle that failed, once known; the message then starts with its name.</summary>
    public string? Bundle { get; }

    /// <summary>The cause, without the bundle's name.</summary>
    public string Reason { get; }

    /// <summary>The same failure, attributed to <paramref name="bundle"/>; this exception becomes the inner one.</summary>
    public BundleException ForBundle(string bundle) => new(Kind, bundle, Reason, this);
}
