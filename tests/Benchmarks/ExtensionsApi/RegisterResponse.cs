namespace ExtensionCache.Benchmarks.ExtensionsApi;

/// <summary>Body of the Extensions API's answer to register.</summary>
public sealed record RegisterResponse(string FunctionName, string FunctionVersion, string Handler);
