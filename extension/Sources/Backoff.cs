namespace ExtensionCache.Extension.Sources;

/// <summary>
/// Exponential backoff with full jitter: the n-th wait is uniform in [0, min(cap, base × 2^(n-1))], so clients
/// throttled at the same moment spread their retries over the whole interval instead of returning together.
/// </summary>
public sealed class Backoff(TimeSpan baseDelay, TimeSpan cap, Random random)
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

    /// <summary>A wait for the <paramref name="retry"/>-th retry (1-based): uniform in [0, <see cref="Ceiling"/>].</summary>
    public TimeSpan Delay(int retry) => TimeSpan.FromTicks((long)(random.NextDouble() * Ceiling(retry).Ticks));
}
