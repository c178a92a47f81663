using ExtensionCache.Benchmarks.Approaches;
using ExtensionCache.Benchmarks.Bundles;

namespace ExtensionCache.Benchmarks.Results;

/// <summary>
/// The current binary's cold (c) against the baseline binary's, for one bundle and server of the same run: the
/// before/after proof a change to the extension's fetch path has to give.
/// </summary>
public sealed record BaselineComparison(GeneratedBundle Bundle, string Server, ResultRow? Current, ResultRow Baseline)
{
    /// <summary>The largest current ÷ baseline ratio of median cold times still counted as no slower (noise allowance).</summary>
    public const double Limit = 1.05;

    public double? Ratio => Current?.MedianMs is { } current && Baseline.MedianMs is { } baseline && baseline > 0 ? current / baseline : null;

    /// <summary>One comparison per bundle and server the baseline ran on, in the order of the rows.</summary>
    public static IReadOnlyList<BaselineComparison> From(IReadOnlyList<ResultRow> rows) => rows
        .Where(r => r.Approach == Approach.ExtensionCacheBaseline)
        .Select(b => new BaselineComparison(b.Bundle, b.Server, rows.FirstOrDefault(r => r.Bundle == b.Bundle && r.Server == b.Server && r.Approach == Approach.ExtensionCache), b))
        .ToList();
}
