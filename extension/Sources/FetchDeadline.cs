namespace ExtensionCache.Extension.Sources;

/// <summary>
/// When every request of this INIT must be done by: the INIT limit (10 s on demand; on Managed Instances
/// max(130 s, the function timeout), and since an extension cannot read the timeout, 130 s) counted from the
/// process start, minus a reserve to report a failure before Lambda ends INIT. Retries stop at this point in
/// time rather than after a number of attempts.
/// </summary>
public sealed class FetchDeadline
{
    public const string InitializationTypeVariable = "AWS_LAMBDA_INITIALIZATION_TYPE";
    public const string ManagedInstances = "lambda-managed-instances";
    public static readonly TimeSpan OnDemandInitLimit = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan ManagedInstancesInitLimit = TimeSpan.FromSeconds(130);

    /// <summary>Kept at the end of INIT to log and report the failure (init/error) while INIT still runs.</summary>
    public static readonly TimeSpan Reserve = TimeSpan.FromMilliseconds(750);

    private readonly TimeProvider _time;
    private readonly long _startTimestamp;

    public FetchDeadline(TimeProvider time, TimeSpan budget, string description)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _startTimestamp = time.GetTimestamp();
        Budget = budget < TimeSpan.Zero ? TimeSpan.Zero : budget;
        Description = description;
    }

    /// <summary>From the start of this object to the deadline.</summary>
    public TimeSpan Budget { get; }

    /// <summary>Names the limit, for error messages ("the on-demand INIT limit of 10 s").</summary>
    public string Description { get; }

    public TimeSpan Remaining => Budget - _time.GetElapsedTime(_startTimestamp);

    /// <summary>No deadline (tests and tools that are not bound by an INIT limit).</summary>
    public static FetchDeadline None(TimeProvider time) => new(time, TimeSpan.FromDays(1), "no deadline");

    /// <summary>
    /// The deadline for this INIT: the limit <see cref="InitializationTypeVariable"/> implies, less the time the
    /// process has already run (<paramref name="sinceProcessStart"/>) and the <see cref="Reserve"/>.
    /// </summary>
    public static FetchDeadline ForInit(Func<string, string?> environment, TimeProvider time, TimeSpan sinceProcessStart)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var managed = string.Equals(environment(InitializationTypeVariable)?.Trim(), ManagedInstances, StringComparison.OrdinalIgnoreCase);
        var limit = managed ? ManagedInstancesInitLimit : OnDemandInitLimit;
        var description = managed
            ? $"the Managed Instances INIT limit of at least {limit.TotalSeconds:0} s"
            : $"the on-demand INIT limit of {limit.TotalSeconds:0} s";
        return new FetchDeadline(time, limit - sinceProcessStart - Reserve, description);
    }
}
