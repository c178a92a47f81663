namespace ExtensionCache.Extension.Lambda;

/// <summary>The result of register: the identifier every later call needs, and what Lambda told about the function.</summary>
public sealed record ExtensionRegistration(string Identifier, string? FunctionName, string? FunctionVersion, string? Handler);
