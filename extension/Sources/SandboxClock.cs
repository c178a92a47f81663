namespace ExtensionCache.Extension.Sources;

/// <summary>
/// The time the sandbox has run, which a frozen sandbox does not spend. On demand, Lambda freezes every process once
/// the runtime and the extensions have called <c>next</c>, for as long as no invoke comes (minutes or hours); the wall
/// clock keeps going meanwhile, so a budget measured on it would run out in a freeze without any work being done.
/// The host calls <see cref="Pause"/> when it calls <c>next</c> and <see cref="Thaw"/> when an event arrives: time in
/// between counts as frozen (it may be partly spent running while the function finishes its invoke, which only
/// makes a budget more generous). On Managed Instances, which never freeze, nobody pauses it.
/// <see cref="Thaws"/> counts the events, so a request that was in flight across one can tell that a freeze, not
/// the server, may have broken it.
/// </summary>
public sealed class SandboxClock
{
    private readonly TimeProvider _time;
    private readonly long _started;
    private readonly Lock _gate = new();
    private TimeSpan _frozen;
    private long? _pausedAt;
    private int _thaws;

    public SandboxClock(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _started = time.GetTimestamp();
    }

    /// <summary>Time since this clock was made, less the time between each <see cref="Pause"/> and the next <see cref="Thaw"/>.</summary>
    public TimeSpan Running
    {
        get
        {
            lock (_gate)
            {
                var pausing = _pausedAt is { } paused ? _time.GetElapsedTime(paused) : TimeSpan.Zero;
                return _time.GetElapsedTime(_started) - _frozen - pausing;
            }
        }
    }

    /// <summary>How many times an event thawed the sandbox.</summary>
    public int Thaws
    {
        get
        {
            lock (_gate)
            {
                return _thaws;
            }
        }
    }

    /// <summary>The extension called <c>next</c>: from now until <see cref="Thaw"/> the sandbox may be frozen.</summary>
    public void Pause()
    {
        lock (_gate)
        {
            _pausedAt ??= _time.GetTimestamp();
        }
    }

    /// <summary>An event arrived: the sandbox runs again.</summary>
    public void Thaw()
    {
        lock (_gate)
        {
            if (_pausedAt is { } paused)
            {
                _frozen += _time.GetElapsedTime(paused);
                _pausedAt = null;
            }

            _thaws++;
        }
    }
}
