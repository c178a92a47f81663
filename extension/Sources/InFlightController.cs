namespace ExtensionCache.Extension.Sources;

/// <summary>
/// How many requests this process keeps in flight to its sources: additive increase, multiplicative decrease
/// (as TCP does for its window). A throttling answer (503 SlowDown, 429) halves the window, once per window: the
/// other throttled answers to requests sent before the cut do not cut again. Every success adds 1/window, so a
/// window of requests that all succeed grows it by one, up to <see cref="MaxWindow"/>. Requests beyond the window
/// wait, in order, for a slot. Hand-written: no .NET library adapts a concurrency limit to throttling.
/// </summary>
public sealed class InFlightController
{
    public const int MaxWindow = 64;

    private readonly Lock _gate = new();
    private readonly Queue<TaskCompletionSource<int>> _waiting = new();
    private double _window = MaxWindow;
    private int _inFlight;
    private int _epoch;

    /// <summary>The current window, rounded down (never below 1).</summary>
    public int Window
    {
        get
        {
            lock (_gate)
            {
                return Limit;
            }
        }
    }

    /// <summary>Requests holding a slot now.</summary>
    public int InFlight
    {
        get
        {
            lock (_gate)
            {
                return _inFlight;
            }
        }
    }

    /// <summary>Throttling answers that cut the window, over the life of this controller.</summary>
    public int Decreases { get; private set; }

    private int Limit => Math.Max(1, (int)_window);

    /// <summary>Waits for a slot; the answer is the window's epoch, to hand back to <see cref="Throttled"/>.</summary>
    public async Task<int> AcquireAsync(CancellationToken ct)
    {
        TaskCompletionSource<int> waiter;
        lock (_gate)
        {
            if (_waiting.Count == 0 && _inFlight < Limit)
            {
                _inFlight++;
                return _epoch;
            }

            waiter = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting.Enqueue(waiter);
        }

        using (ct.Register(() => waiter.TrySetCanceled(ct)))
        {
            return await waiter.Task.ConfigureAwait(false);
        }
    }

    /// <summary>Gives the slot back after a success: the window grows by 1/window.</summary>
    public void Succeeded()
    {
        lock (_gate)
        {
            _window = Math.Min(MaxWindow, _window + (1.0 / Limit));
            ReleaseLocked();
        }
    }

    /// <summary>Gives the slot back after a throttling answer to a request sent in <paramref name="epoch"/>: halves the window once per epoch.</summary>
    public void Throttled(int epoch)
    {
        lock (_gate)
        {
            if (epoch == _epoch)
            {
                // Cut from what was really in flight, not from a window never reached.
                _window = Math.Max(1, Math.Min(_window, _inFlight) / 2);
                _epoch++;
                Decreases++;
            }

            ReleaseLocked();
        }
    }

    /// <summary>Gives the slot back after any other outcome (an error, a cancellation): the window is unchanged.</summary>
    public void Released()
    {
        lock (_gate)
        {
            ReleaseLocked();
        }
    }

    private void ReleaseLocked()
    {
        _inFlight--;
        while (_inFlight < Limit && _waiting.TryDequeue(out var next))
        {
            // A waiter cancelled meanwhile does not take the slot.
            if (next.TrySetResult(_epoch))
            {
                _inFlight++;
            }
        }
    }
}
