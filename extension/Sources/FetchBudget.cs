namespace ExtensionCache.Extension.Sources;

/// <summary>
/// How long the requests of one fetch may keep retrying, counted from when the fetch starts on a
/// <see cref="SandboxClock"/>, so time the sandbox spends frozen is not counted.
/// <list type="bullet">
/// <item>INIT: <see cref="Unbounded"/>. Lambda enforces INIT's limit itself (10 s on demand; a timed-out INIT is
/// retried at the first invoke under the function timeout, which an extension cannot read; up to 15 minutes on
/// Managed Instances). An extension that stopped at a limit of its own would only fail an INIT the platform would
/// have let finish, so it keeps fetching until it is done or ended.</item>
/// <item>A refresh check: <see cref="RefreshCheck"/> of running time, from the check's start.</item>
/// </list>
/// </summary>
public sealed class FetchBudget
{
    /// <summary>
    /// The running time one refresh check may take: the longest an invoke can run. It bounds a check of a bundle of
    /// several GB on one connection, and it is running time, so a check spread over the thaws of an on-demand
    /// environment (it gets the refresh wait after each INVOKE, then goes on after the next thaw) is not cut short
    /// by the freezes in between, however long they are.
    /// </summary>
    public static readonly TimeSpan RefreshCheck = TimeSpan.FromMinutes(15);

    private readonly SandboxClock _clock;
    private readonly TimeSpan _startedAt;

    private FetchBudget(SandboxClock clock, TimeSpan? limit, string description)
    {
        _clock = clock;
        _startedAt = clock.Running;
        Limit = limit;
        Description = description;
    }

    /// <summary>The running time this fetch may take, or null when only the platform ends it.</summary>
    public TimeSpan? Limit { get; }

    /// <summary>Names the budget in error messages ("the refresh check's budget of 15 min of running time").</summary>
    public string Description { get; }

    /// <summary>What is left of the budget; <see cref="Timeout.InfiniteTimeSpan"/> when unbounded.</summary>
    public TimeSpan Remaining => Limit is { } limit ? limit - (_clock.Running - _startedAt) : Timeout.InfiniteTimeSpan;

    public bool IsSpent => Limit is not null && Remaining <= TimeSpan.Zero;

    /// <summary>How many times the sandbox was thawed so far (see <see cref="SandboxClock.Thaws"/>).</summary>
    public int Thaws => _clock.Thaws;

    /// <summary>An INIT's fetch: no limit of its own (see the type's summary).</summary>
    public static FetchBudget Unbounded(SandboxClock clock) => new(clock, null, "no limit but the platform's");

    /// <summary>One refresh check's fetch: <paramref name="limit"/> of running time from now.</summary>
    public static FetchBudget Running(SandboxClock clock, TimeSpan limit, string description) => new(clock, limit, description);

    /// <summary>A refresh check: <paramref name="limit"/> (by default <see cref="RefreshCheck"/>) of running time from now.</summary>
    public static FetchBudget ForRefreshCheck(SandboxClock clock, TimeSpan? limit = null)
    {
        var budget = limit ?? RefreshCheck;
        var text = budget.TotalSeconds >= 60 && budget.TotalSeconds % 60 == 0
            ? $"{budget.TotalMinutes:0} min"
            : $"{budget.TotalSeconds:0.#} s";
        return Running(clock, budget, $"a refresh check's budget of {text} of running time");
    }
}
