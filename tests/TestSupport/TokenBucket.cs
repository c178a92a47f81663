namespace ExtensionCache.TestSupport;

/// <summary>
/// A token bucket: holds up to <see cref="Burst"/> tokens, refilled at <see cref="PerSecond"/>; a request takes one
/// or is refused. Not thread-safe: <see cref="FaultProxy"/> calls it under its lock.
/// </summary>
public sealed class TokenBucket(double perSecond, int burst, TimeProvider time)
{
    private double _tokens = burst;
    private long _last = time.GetTimestamp();

    public double PerSecond => perSecond;

    public int Burst => burst;

    public bool TryTake()
    {
        var now = time.GetTimestamp();
        _tokens = Math.Min(burst, _tokens + (time.GetElapsedTime(_last, now).TotalSeconds * perSecond));
        _last = now;
        if (_tokens < 1)
        {
            return false;
        }

        _tokens--;
        return true;
    }
}
