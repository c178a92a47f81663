using ExtensionCache.Benchmarks.Bundles;
using ExtensionCache.Benchmarks.Cli;

namespace ExtensionCache.Benchmarks.Results;

/// <summary>Everything one run measured, as the report prints it.</summary>
public sealed record BenchmarkResults(
    BenchmarkOptions Options,
    MachineDescription Machine,
    string LoadAtEnd,
    DateTimeOffset StartedAt,
    TimeSpan Duration,
    string? ExtensionBinary,
    string? BaselineBinary,
    string ExtensionCommit,
    bool TmpMeasured,
    IReadOnlyList<GeneratedBundle> Bundles,
    IReadOnlyDictionary<string, long?> FootprintBytes,
    IReadOnlyList<ResultRow> Rows,
    IReadOnlyList<ResultRow> RssRows,
    IReadOnlyList<ResetCase> ResetCases);
