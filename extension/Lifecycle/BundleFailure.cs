using ExtensionCache.Extension.Failures;

namespace ExtensionCache.Extension.Lifecycle;

/// <summary>One bundle that could not be prepared, as reported through init/error.</summary>
/// <param name="Reason">The cause, without the bundle's name; <see cref="Message"/> adds it.</param>
public sealed record BundleFailure(string Bundle, FailureKind Kind, string Reason)
{
    public string Message => FailureKinds.ForBundle(Bundle, Reason);
}
