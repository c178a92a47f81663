namespace ExtensionCache.Benchmarks.Measurement;

/// <summary>Files and bytes under a folder, to check that an approach really unpacked the whole bundle.</summary>
public sealed record TreeSummary(int Files, long Bytes)
{
    public static TreeSummary Of(string folder, params string[] ignoreFileNames)
    {
        var files = 0;
        long bytes = 0;
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false };
        foreach (var file in new DirectoryInfo(folder).EnumerateFiles("*", options))
        {
            if (ignoreFileNames.Contains(file.Name) || file.LinkTarget is not null)
            {
                continue;
            }

            files++;
            bytes += file.Length;
        }

        return new TreeSummary(files, bytes);
    }
}
