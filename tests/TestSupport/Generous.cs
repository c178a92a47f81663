namespace ExtensionCache.TestSupport;

/// <summary>
/// The bounds a test waits within when its point is not a time limit. A test must pass on a busy 2-core machine
/// (<c>tests/under-load.sh</c> runs the suite with both cores kept busy by other processes), so it waits for the event
/// itself, and each bound here is far above what that event takes there: reaching one means the event is not
/// coming, and only a failing test ever waits that long. A test whose point is a time limit (an INIT timeout, the
/// SHUTDOWN budget, a stall timeout) names that limit itself and gives the work around it no reason to be slow.
/// </summary>
public static class Generous
{
    /// <summary>
    /// For one awaited thing: a log line, a request, a file, a process exit, an answer. The slowest of them (a
    /// process start, an INIT with a .NET runtime) take a few seconds with both cores busy; 60 s is ten times that.
    /// </summary>
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How much later than its due time a timer-driven event (a timeout, a deadline, a kill at a deadline) may be
    /// observed: timers and the thread pool run late on a busy machine, by milliseconds usually and by seconds at
    /// worst. A bound of "limit + <see cref="Lateness"/>" still tells "ended by the limit" from "never ended", as
    /// long as what the limit cuts short would last longer (the tests' hangs last 300 s or forever).
    /// </summary>
    public static readonly TimeSpan Lateness = TimeSpan.FromSeconds(10);

    /// <summary>A whole emulator run or tool run (INIT, invokes, SHUTDOWN, each bounded on its own): the guard that kills it.</summary>
    public static readonly TimeSpan Run = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A Native AOT publish (build-layer.ps1): 1-2 minutes on an idle 2-core machine, about three times that when
    /// other builds and tests share it; only a hung build reaches 30 minutes.
    /// </summary>
    public static readonly TimeSpan Build = TimeSpan.FromMinutes(30);

    /// <summary>
    /// The emulator's <c>--timeout</c> for runs whose invokes are not meant to time out (Lambda's default is 3 s):
    /// the tests' bash + curl handlers fork a process per step, and the heaviest (80 MB built in bash) takes 1 s idle
    /// and 4 s with four other busy processes on 2 cores.
    /// </summary>
    public const int FunctionTimeoutSeconds = 60;

    /// <summary>
    /// The emulator's <c>--init-timeout</c> for runs whose INIT is not meant to time out (Lambda's on-demand limit is
    /// 10 s): an INIT of bash extensions takes 0.4 s with both cores busy, one with the .NET sample function a few seconds.
    /// </summary>
    public const int InitTimeoutSeconds = 60;
}
