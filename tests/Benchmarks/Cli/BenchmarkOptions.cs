namespace ExtensionCache.Benchmarks.Cli;

/// <summary>Everything one benchmark run is parameterised by; printed into results.md so a run can be repeated.</summary>
public sealed record BenchmarkOptions(
    bool Quick,
    int SizeMb,
    int Runs,
    int RssSizeMb,
    int ResetRuns,
    int MemoryMb,
    int Seed,
    string? ExtensionPath,
    string OutputPath,
    string RepoRoot,
    bool PrepareOnly,
    bool Delta = false,
    string? BaselineExtensionPath = null,
    bool OnlyExtension = false,
    int LinkRateMib = 75,
    int LinkLatencyMs = 30);
