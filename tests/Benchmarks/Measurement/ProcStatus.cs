using System.Globalization;

namespace ExtensionCache.Benchmarks.Measurement;

/// <summary>VmHWM (peak resident set) and VmRSS of a live process, from /proc/&lt;pid&gt;/status, in bytes.</summary>
public sealed record ProcStatus(long PeakRssBytes, long RssBytes)
{
    public static ProcStatus? Read(int pid)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines($"/proc/{pid}/status");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        long? hwm = null;
        long? rss = null;
        foreach (var line in lines)
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                hwm = Kilobytes(line);
            }
            else if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = Kilobytes(line);
            }
        }

        return hwm is { } h && rss is { } r ? new ProcStatus(h, r) : null;
    }

    private static long Kilobytes(string line)
    {
        var digits = line.AsSpan(line.IndexOf(':', StringComparison.Ordinal) + 1).Trim();
        var space = digits.IndexOf(' ');
        return long.Parse(space < 0 ? digits : digits[..space], CultureInfo.InvariantCulture) * 1024;
    }
}
