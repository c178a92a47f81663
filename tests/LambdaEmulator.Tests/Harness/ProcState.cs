namespace LambdaEmulator.Tests.Harness;

/// <summary>Reads a process's scheduler state from /proc ('T' = stopped, i.e. frozen).</summary>
internal static class ProcState
{
    public static char Of(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[stat.LastIndexOf(')') + 2];
    }

    /// <summary>Polls (the kernel offers no notification for this) until the state matches, within <see cref="Generous.Wait"/>.</summary>
    public static Task<bool> WaitForAsync(int pid, Func<char, bool> match) => Poll.UntilAsync(() => match(Of(pid)));
}
