namespace ExtensionCache.Extension.Json;

/// <summary>Body of <c>POST /extension/register</c>.</summary>
internal sealed record RegisterRequest(IReadOnlyList<string> Events);
