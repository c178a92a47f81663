namespace ExtensionCache.Benchmarks.Herd;

/// <summary>One herd simulation: how many cold starts, of what, against which request rate; printed with the results.</summary>
public sealed record HerdOptions(
    int Processes,
    int BundleMb,
    double RatePerSecond,
    int Burst,
    int MemoryMb,
    string? NewExtensionPath,
    string? OldExtensionPath,
    string OutputPath,
    string RepoRoot);
