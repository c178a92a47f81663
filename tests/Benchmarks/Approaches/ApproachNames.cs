namespace ExtensionCache.Benchmarks.Approaches;

/// <summary>How each approach is named in the tables.</summary>
public static class ApproachNames
{
    public static string Of(Approach approach) => approach switch
    {
        Approach.NaiveUnzip => "(a) curl → /tmp, unzip",
        Approach.NaiveDotnetExtract => "(b) curl → /tmp, ZipFile.Extract",
        Approach.ExtensionCache => "(c) ExtensionCache AOT",
        Approach.ExtensionCacheBaseline => "(c) baseline binary",
        Approach.LocalDotnetExtract => "(d) ZipFile.Extract of local copy",
        _ => approach.ToString(),
    };
}
