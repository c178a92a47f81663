using System.Diagnostics;

namespace ExtensionCache.TestSupport;

/// <summary>
/// Polling, only for what gives no notification: a process's state in /proc, a file another process keeps
/// rewriting, a socket going away. Checks every 20 ms until the condition holds, within a limit
/// (<see cref="Generous.Wait"/> unless given), so a slow machine only makes the wait longer.
/// </summary>
public static class Poll
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);

    /// <summary>True as soon as <paramref name="condition"/> holds; false when it still does not after the limit.</summary>
    public static async Task<bool> UntilAsync(Func<bool> condition, TimeSpan? limit = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var bound = limit ?? Generous.Wait;
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed >= bound)
            {
                return condition();
            }

            await Task.Delay(Interval).ConfigureAwait(false);
        }

        return true;
    }
}
