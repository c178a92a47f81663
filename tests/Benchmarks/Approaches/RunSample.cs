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

    /// <summary>GET requests nginx answered during the run (from its access log).</summary>
    public int? Requests { get; init; }

    /// <summary>Body bytes nginx sent during the run (from its access log).</summary>
    public long? ServedBytes { get; init; }
}
