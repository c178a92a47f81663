namespace LambdaEmulator.Tests.Harness;

/// <summary>Reads a process's scheduler state from /proc ('T' = stopped, i.e. frozen).</summary>
internal static class ProcState
{
    public static char Of(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[stat.LastIndexOf(')') + 2];
    }

    /// <summary>Polls (the kernel offers no notification for this) until the state matches or the timeout passes.</summary>
    public static async Task<bool> WaitForAsync(int pid, Func<char, bool> match, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (match(Of(pid)))
            {
                return true;
            }

            await Task.Delay(20);
        }

        return match(Of(pid));
    }
}
