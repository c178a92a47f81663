namespace ExtensionCache.Extension.Json;

/// <summary>Body of init/error and exit/error, and of the API's own error replies.</summary>
internal sealed record ErrorRequest(string? ErrorMessage, string? ErrorType, IReadOnlyList<string>? StackTrace);
