using System.Globalization;

namespace LambdaEmulator.Sandbox;

/// <summary>
/// Measures "Max Memory Used": the peak resident memory of every process in the sandbox's process groups,
/// read from /proc (VmHWM, each process's own peak, or VmRSS when the kernel gives no high-water mark).
/// </summary>
public sealed class MemoryMeter
{
    private readonly Lock _gate = new();
    private long _peakKb;

    public long PeakMb
    {
        get
        {
            lock (_gate)
            {
                return (_peakKb + 1023) / 1024;
            }
        }
    }

    public void Reset()
    {
        lock (_gate)
        {
            _peakKb = 0;
        }
    }

    /// <summary>Samples every interval until cancelled, then once more.</summary>
    public async Task SampleUntilCancelledAsync(Func<IReadOnlyCollection<int>> groups, TimeSpan interval, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                Sample(groups());
                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            Sample(groups());
        }
    }

    public void Sample(IReadOnlyCollection<int> groups)
    {
        if (groups.Count == 0)
        {
            return;
        }

        long totalKb = 0;
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(folder);
            if (!int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                if (groups.Contains(ReadProcessGroup(folder)) && !IsBubblewrapMonitor(folder, pid))
                {
                    totalKb += ReadResidentKb(folder);
                }
            }
            catch (IOException)
            {
                // The process ended between listing and reading.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        lock (_gate)
        {
            _peakKb = Math.Max(_peakKb, totalKb);
        }
    }

    /// <summary>bubblewrap's monitor leads the group of a wrapped command: emulator plumbing, not the function's memory.</summary>
    private static bool IsBubblewrapMonitor(string folder, int pid) =>
        ReadProcessGroup(folder) == pid && File.ReadAllText(Path.Combine(folder, "comm")).TrimEnd() == "bwrap";

    private static int ReadProcessGroup(string folder)
    {
        // Fields after the parenthesised command name: state ppid pgrp ...
        var stat = File.ReadAllText(Path.Combine(folder, "stat"));
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[2], CultureInfo.InvariantCulture);
    }

    private static long ReadResidentKb(string folder)
    {
        long hwm = 0;
        long rss = 0;
        foreach (var line in File.ReadLines(Path.Combine(folder, "status")))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                hwm = ParseKb(line);
            }
            else if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = ParseKb(line);
            }
        }

        return Math.Max(hwm, rss);
    }

    private static long ParseKb(string line) =>
        long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), NumberStyles.None, CultureInfo.InvariantCulture);
}
