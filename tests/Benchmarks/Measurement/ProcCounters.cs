using System.Globalization;

namespace ExtensionCache.Benchmarks.Measurement;

/// <summary>CPU time (user + system, /proc/&lt;pid&gt;/stat) of a live process: shows whether it was CPU-bound.</summary>
public sealed record ProcCounters(double CpuMs)
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
            return new ProcCounters(ticks * TickMs);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}
