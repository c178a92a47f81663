using System.Diagnostics;
using System.Globalization;

namespace ExtensionCache.Extension.Lifecycle;

/// <summary>
/// How long since the process started, for the start-up line. Reads /proc by hand because
/// System.Diagnostics.Process costs start-up time and binary size for one number.
/// </summary>
public sealed class StartupClock(long mainTimestamp)
{
    /// <summary>Linux reports process start in USER_HZ ticks, fixed at 100 per second by the kernel ABI.</summary>
    private const int TicksPerSecond = 100;

    public double MillisecondsSinceMain => Stopwatch.GetElapsedTime(mainTimestamp).TotalMilliseconds;

    /// <summary>Milliseconds since the kernel started this process (10 ms resolution), or null off Linux.</summary>
    public static long? MillisecondsSinceProcessStart()
    {
        try
        {
            // Both figures count from boot on the same clock, so their difference is the process age.
            var uptime = File.ReadAllText("/proc/uptime");
            var stat = File.ReadAllText("/proc/self/stat");
            var uptimeSeconds = double.Parse(uptime.AsSpan(0, uptime.IndexOf(' ', StringComparison.Ordinal)), NumberStyles.Float, CultureInfo.InvariantCulture);

            // The command name (field 2) may hold spaces and parentheses; fields after the last ')' are plain.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var startTicks = long.Parse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture);
            return Math.Max(0, (long)Math.Round((uptimeSeconds * 1000) - (startTicks * 1000.0 / TicksPerSecond)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }
}
