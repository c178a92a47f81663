namespace ExtensionCache.Extension.Configuration;

/// <summary>The archive format of a bundle, from the key's extension or a <c>#format=</c> fragment.</summary>
public enum BundleFormat
{
    Zip,
    TarGz,
    TarZst,
}

/// <summary>The formats' names, as <c>#format=</c> takes them and the manifest and the logs write them.</summary>
public static class FormatNames
{
    public static string Of(BundleFormat format) => format switch
    {
        BundleFormat.Zip => "zip",
        BundleFormat.TarGz => "tar.gz",
        BundleFormat.TarZst => "tar.zst",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "not a bundle format"),
    };
}
