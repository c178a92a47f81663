using ExtensionCache.Benchmarks.Approaches;
using ExtensionCache.Benchmarks.Bundles;

namespace ExtensionCache.Benchmarks.Results;

/// <summary>Medians of one approach's successful runs for one bundle and one server.</summary>
public sealed record ResultRow(
    GeneratedBundle Bundle,
    string Server,
    Approach Approach,
    int Runs,
    int Failures,
    double? MedianMs,
    long? PeakTmpBytes,
    long? FinalTmpBytes,
    long? PeakRssBytes,
    long? IdleRssBytes,
    string? FirstError)
{
    /// <summary>Median CPU time of the extension (user + system) up to its first next.</summary>
    public double? CpuMs { get; init; }

    /// <summary>Median GET requests served by nginx per run.</summary>
    public long? Requests { get; init; }

    /// <summary>Median body bytes served by nginx per run.</summary>
    public long? ServedBytes { get; init; }

    public static ResultRow From(GeneratedBundle bundle, string server, Approach approach, IReadOnlyList<RunSample> samples)
    {
        var ok = samples.Where(s => s.Error is null).ToList();
        return new ResultRow(
            bundle,
            server,
            approach,
            samples.Count,
            samples.Count - ok.Count,
            Median.Of(ok.Select(s => s.WallMs)),
            Median.Of(ok.Select(s => s.PeakTmpBytes)),
            Median.Of(ok.Select(s => s.FinalTmpBytes)),
            Median.Of(ok.Select(s => s.PeakRssBytes)),
            Median.Of(ok.Select(s => s.IdleRssBytes)),
            samples.FirstOrDefault(s => s.Error is not null)?.Error)
        {
            CpuMs = Median.Of(ok.Where(s => s.CpuMs.HasValue).Select(s => s.CpuMs!.Value)),
            Requests = Median.Of(ok.Select(s => (long?)s.Requests)),
            ServedBytes = Median.Of(ok.Select(s => s.ServedBytes)),
        };
    }

    /// <summary>Unpacked MiB per second of wall time.</summary>
    public double? Throughput => MedianMs is { } ms && ms > 0 ? Bundle.UnpackedBytes / 1048576.0 / (ms / 1000) : null;
}
