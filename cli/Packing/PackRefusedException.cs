namespace ExtensionCache.Cli.Packing;

/// <summary>Every path in a tree that the extension would refuse, each with the rule; nothing was written.</summary>
public sealed class PackRefusedException(IReadOnlyList<string> refusals)
    : Exception($"refused, nothing written:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", refusals)}")
{
    public IReadOnlyList<string> Refusals => refusals;
}
