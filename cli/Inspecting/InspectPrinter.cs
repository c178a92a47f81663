using System.Globalization;

namespace ExtensionCache.Cli.Inspecting;

/// <summary>Prints an <see cref="InspectReport"/> for a person.</summary>
public static class InspectPrinter
{
    private const int LargestShown = 10;

    public static void Print(InspectReport report, TextWriter output)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"{report.Source} ({report.Format}, {report.ArchiveBytes:N0} bytes)"));
        output.WriteLine(string.Create(c, $"entries: {report.Entries.Count:N0} ({report.Entries.Count(e => e.Kind == "file"):N0} files)"));
        output.WriteLine(string.Create(c, $"unpacked: {report.UnpackedBytes:N0} bytes, ratio {(report.ArchiveBytes == 0 ? 0 : (double)report.UnpackedBytes / report.ArchiveBytes):F2}"));
        output.WriteLine(string.Create(c, $"peak /tmp: {report.PeakTmpBytes:N0} bytes (twice that while a new version replaces a published one, until the next start)"));
        if (report.Sha256 is { } sha)
        {
            output.WriteLine($"sha256: {sha}");
        }

        if (!report.ContentRead)
        {
            output.WriteLine("read: the central directory only (names, sizes, methods); symlink targets and contents are checked when the archive is unpacked");
        }

        output.WriteLine("largest files:");
        foreach (var entry in report.Entries.Where(e => e.Kind == "file").OrderByDescending(e => e.Size).ThenBy(e => e.Name, StringComparer.Ordinal).Take(LargestShown))
        {
            output.WriteLine(string.Create(c, $"  {entry.Size,15:N0}  {entry.Name}"));
        }

        if (report.Accepted)
        {
            output.WriteLine("verdict: accepted");
            return;
        }

        output.WriteLine(string.Create(c, $"verdict: refused ({report.Refusals.Count} problem(s)):"));
        foreach (var refusal in report.Refusals)
        {
            output.WriteLine($"  {refusal}");
        }
    }
}
