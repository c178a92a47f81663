namespace ExtensionCache.Tests.Lambda;

/// <summary>One request the fake Extensions API received.</summary>
public sealed record RecordedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body);
