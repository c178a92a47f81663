namespace ExtensionCache.Benchmarks.Approaches;

/// <summary>The approaches compared; the letters are the issue's. The baseline is (c) run with another binary.</summary>
public enum Approach
{
    NaiveUnzip,
    NaiveDotnetExtract,
    ExtensionCache,
    ExtensionCacheBaseline,
    LocalDotnetExtract,
}
