namespace ExtensionCache.Extension.Lifecycle;

/// <summary>One bundle that could not be prepared, as reported through init/error.</summary>
/// <param name="ErrorType">An <c>Extension.*</c> error type, for example <c>Extension.BundleNotFound</c>.</param>
public sealed record BundleFailure(string Name, string ErrorType, string Message);
