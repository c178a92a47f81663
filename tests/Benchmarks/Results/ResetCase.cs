namespace ExtensionCache.Benchmarks.Results;

/// <summary>Process start to register when the bundle is already published (a sandbox reset): nothing to download.</summary>
public sealed record ResetCase(string Source, int Runs, int Failures, double? MedianMs, double? MinMs, double? MaxMs, string? FirstError)
{
    /// <summary>A floor measured with a do-nothing extension, not the product: reported, not checked.</summary>
    public bool IsCalibration { get; init; }

    /// <summary>The same case run with the baseline binary (<c>--baseline-extension</c>): reported beside it, not checked.</summary>
    public bool IsBaseline { get; init; }
}
