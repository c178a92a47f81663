namespace ExtensionCache.Benchmarks.Approaches;

/// <summary>One run of one approach. Sizes in bytes; null where the figure does not apply or was not measured.</summary>
public sealed record RunSample(
    double WallMs,
    long? PeakTmpBytes,
    long? FinalTmpBytes,
    long? PeakRssBytes,
    long? IdleRssBytes,
    string? Error)
{
    /// <summary>The extension's CPU time (user + system) up to its first next.</summary>
    public double? CpuMs { get; init; }

    /// <summary>What the extension read (files and sockets, rchar) up to its first next.</summary>
    public long? ReadBytes { get; init; }
}
