namespace ExtensionCache.Extension.Lambda;

/// <summary>
/// The result of register: the identifier every later call needs, what Lambda told about the function, and the
/// events the extension registered for.
/// </summary>
public sealed record ExtensionRegistration(
    string Identifier, string? FunctionName, string? FunctionVersion, string? Handler, IReadOnlyList<ExtensionEventType> Events);
