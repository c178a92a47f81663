namespace ExtensionCache.Benchmarks.Measurement;

/// <summary>
/// Polls a reading on its own thread (every ~2 ms) and keeps the maximum. Polling is the measurement itself here,
/// not synchronisation: nothing waits on it.
/// </summary>
public sealed class PeakSampler : IDisposable
{
    private readonly Func<long?> _read;
    private readonly Thread _thread;
    private readonly CancellationTokenSource _stop = new();
    private long _peak;

    public PeakSampler(Func<long?> read, int intervalMs = 2)
    {
        _read = read;
        _peak = read() ?? 0;
        _thread = new Thread(() =>
        {
            while (!_stop.IsCancellationRequested)
            {
                Sample();
                _stop.Token.WaitHandle.WaitOne(intervalMs);
            }
        })
        {
            IsBackground = true,
            Name = "peak-sampler",
        };
        _thread.Start();
    }

    /// <summary>Stops sampling (after one last reading) and returns the maximum seen.</summary>
    public long Stop()
    {
        if (!_stop.IsCancellationRequested)
        {
            _stop.Cancel();
            _thread.Join();
            Sample();
        }

        return Interlocked.Read(ref _peak);
    }

    public void Dispose()
    {
        Stop();
        _stop.Dispose();
    }

    private void Sample()
    {
        var value = _read();
        if (value is { } v && v > Interlocked.Read(ref _peak))
        {
            Interlocked.Exchange(ref _peak, v);
        }
    }
}
