namespace ExtensionCache.Benchmarks.Approaches;

/// <summary>The approaches compared; the letters are the issue's.</summary>
public enum Approach
{
    NaiveUnzip,
    NaiveDotnetExtract,
    ExtensionCache,
    LocalDotnetExtract,
}
