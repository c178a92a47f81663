namespace ExtensionCache.Extension.Json;

/// <summary>Body of a successful register; every field is optional so a sparse emulator reply still works.</summary>
internal sealed record RegisterResponse(string? FunctionName, string? FunctionVersion, string? Handler, string? AccountId);
