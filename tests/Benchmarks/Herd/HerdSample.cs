namespace ExtensionCache.Benchmarks.Herd;

/// <summary>One cold start of the herd: time from its process start to register (bundle published), or why it failed.</summary>
public sealed record HerdSample(double ReadyMs, string? Error);
