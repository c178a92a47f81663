namespace SampleFunction.Serialization;

/// <summary>The parts of the bundle's manifest that prove where the loaded code came from.</summary>
public sealed record ManifestSummary(string? Source, string? Version, string? Sha256, long Files);
