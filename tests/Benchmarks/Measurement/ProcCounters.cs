using System.Globalization;

namespace ExtensionCache.Benchmarks.Measurement;

/// <summary>
/// CPU time (user + system, /proc/&lt;pid&gt;/stat) and bytes read through read-like syscalls including sockets
/// (rchar, /proc/&lt;pid&gt;/io) of a live process: they show whether it was CPU-bound and whether it fetched more than
/// the archive.
/// </summary>
public sealed record ProcCounters(double CpuMs, long ReadBytes)
{
    // USER_HZ is 100 on every Linux ABI .NET supports.
    private const double TickMs = 10;

    public static ProcCounters? Read(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the parenthesised command name, which may itself contain spaces.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            var rchar = File.ReadLines($"/proc/{pid}/io")
                .Where(l => l.StartsWith("rchar:", StringComparison.Ordinal))
                .Select(l => long.Parse(l.AsSpan(6).Trim(), CultureInfo.InvariantCulture))
                .FirstOrDefault();
            return new ProcCounters(ticks * TickMs, rchar);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}
