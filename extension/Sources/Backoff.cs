namespace ExtensionCache.Extension.Sources;

/// <summary>
/// Exponential backoff with jitter: the n-th wait is uniform in [floor × ceiling, ceiling], ceiling =
/// min(cap, base × 2^(n-1)). Full jitter (floor 0) for throttling, so clients throttled at the same moment spread
/// their retries over the whole interval instead of returning together; half jitter (floor 0.5) for other errors.
/// </summary>
public sealed class Backoff(TimeSpan baseDelay, TimeSpan cap, Random random, double floor = 0)
{
    /// <summary>First throttling wait is up to this long.</summary>
    public static readonly TimeSpan ThrottleBase = TimeSpan.FromMilliseconds(200);

    /// <summary>No throttling wait is longer than this.</summary>
    public static readonly TimeSpan ThrottleCap = TimeSpan.FromSeconds(3);

    /// <summary>The upper bound of the <paramref name="retry"/>-th wait (1-based).</summary>
    public TimeSpan Ceiling(int retry)
    {
        var doublings = Math.Clamp(retry - 1, 0, 30);
        var ticks = Math.Min(cap.Ticks, baseDelay.Ticks * (1L << doublings));
        return TimeSpan.FromTicks(Math.Max(0, ticks));
    }

    /// <summary>A wait for the <paramref name="retry"/>-th retry (1-based): uniform in [floor × <see cref="Ceiling"/>, <see cref="Ceiling"/>].</summary>
    public TimeSpan Delay(int retry)
    {
        var ceiling = Ceiling(retry).Ticks;
        return TimeSpan.FromTicks((long)(((floor + ((1 - floor) * random.NextDouble())) * ceiling)));
    }
}
