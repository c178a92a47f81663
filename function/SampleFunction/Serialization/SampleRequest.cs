namespace SampleFunction.Serialization;

/// <summary>The event: <c>{"name": "..."}</c>, every field optional.</summary>
public sealed record SampleRequest(string? Name);
