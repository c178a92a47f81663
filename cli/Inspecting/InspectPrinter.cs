using System.Globalization;

namespace ExtensionCache.Cli.Inspecting;

/// <summary>Prints an <see cref="InspectReport"/> for a person.</summary>
public static class InspectPrinter
{
    private const int LargestShown = 10;

    /// <param name="report">What inspect found.</param>
    /// <param name="output">Where to print it.</param>
    /// <param name="all">List every entry (<c>--entries</c>), not only the largest files.</param>
    public static void Print(InspectReport report, TextWriter output, bool all = false)
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

        var methods = report.Entries.Where(e => e.Kind == "file" && e.Method is not null).GroupBy(e => e.Method!).OrderByDescending(g => g.Count()).ToList();
        if (methods.Count > 0)
        {
            output.WriteLine("methods: " + string.Join(", ", methods.Select(g => string.Create(c, $"{g.Key} {g.Count():N0}")
                + (g.Any(e => e.Frames is not null) ? string.Create(c, $" ({g.Sum(e => e.Frames ?? 0):N0} frames)") : string.Empty))));
        }

        output.WriteLine(all ? "entries:" : "largest files:");
        var shown = all
            ? report.Entries.AsEnumerable()
            : report.Entries.Where(e => e.Kind == "file").OrderByDescending(e => e.Size).ThenBy(e => e.Name, StringComparer.Ordinal).Take(LargestShown);
        foreach (var entry in shown)
        {
            output.WriteLine(string.Create(c, $"  {entry.Size,15:N0}  {Describe(entry),-28}  {entry.Name}"));
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

    /// <summary>How an entry is stored: its kind, or its method and stored size, and a zstd entry's frames ("zstd, 12 frames + seek table").</summary>
    private static string Describe(InspectedEntry entry)
    {
        var c = CultureInfo.InvariantCulture;
        if (entry.Method is null || entry.Kind != "file")
        {
            return entry.Kind;
        }

        var text = string.Create(c, $"{entry.Method} {entry.StoredSize:N0}");
        return entry.Frames is { } frames
            ? text + string.Create(c, $", {frames} frame{(frames == 1 ? "" : "s")}{(entry.SeekTable ? " + seek table" : "")}")
            : text;
    }
}
