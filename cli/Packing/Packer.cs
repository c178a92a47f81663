using ExtensionCache.Extension.Configuration;

namespace ExtensionCache.Cli.Packing;

/// <summary>
/// <c>pack</c>: scans the tree (refusing what the extension would refuse, before writing anything), applies
/// <c>--mtime</c> (with the .pyc headers kept valid), and writes the archive to a temporary file next to the output,
/// renamed over it only when complete; a failed or cancelled pack leaves no file behind.
/// </summary>
public static class Packer
{
    public const string SourceDateEpochVariable = "SOURCE_DATE_EPOCH";

    public static async Task<IReadOnlyList<TreeEntry>> PackAsync(string folder, string output, BundleFormat format, long? mtime, CancellationToken ct, ZipMethod method = ZipMethod.Auto)
    {
        var entries = TreeScanner.Scan(folder);
        if (mtime is { } epoch)
        {
            entries = PycClamp.Apply(entries, epoch);
        }

        var full = Path.GetFullPath(output);
        var directory = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(directory))
        {
            throw new CliException($"output folder '{directory}' does not exist");
        }

        var temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.partial");
        try
        {
            await using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                if (format == BundleFormat.Zip)
                {
                    await ZipPacker.WriteAsync(entries, stream, method, ct).ConfigureAwait(false);
                }
                else
                {
                    await TarPacker.WriteAsync(entries, stream, format == BundleFormat.TarZst, ct).ConfigureAwait(false);
                }

                await stream.FlushAsync(ct).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: true);
            return entries;
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>The format named by <c>--format</c>, or by the output's ending (zip when it names none).</summary>
    public static BundleFormat FormatOf(string? option, string output) =>
        option switch
        {
            "zip" => BundleFormat.Zip,
            "tar.gz" => BundleFormat.TarGz,
            "tar.zst" => BundleFormat.TarZst,
            null when output.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase) || output.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase) => BundleFormat.TarGz,
            null when output.EndsWith(".tar.zst", StringComparison.OrdinalIgnoreCase) => BundleFormat.TarZst,
            null => BundleFormat.Zip,
            _ => throw new CliException($"--format '{option}' is not a format; expected zip, tar.gz or tar.zst"),
        };

    public static string ExtensionOf(BundleFormat format) => format switch
    {
        BundleFormat.TarGz => "tar.gz",
        BundleFormat.TarZst => "tar.zst",
        _ => "zip",
    };
}
