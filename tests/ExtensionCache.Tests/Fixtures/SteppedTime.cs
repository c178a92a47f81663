using ExtensionCache.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace ExtensionCache.Tests.Fixtures;

/// <summary>
/// A fake clock that knows when the code under test sleeps on its timers, for tests that drive a loop through hours or
/// days of fake time. <see cref="StepAsync"/> advances only once as many timers are armed as the code sleeps on: it
/// has then done all it does before its next sleep, and nothing runs between its look at the clock and the sleep it
/// computes from it (a clock moved in that gap makes the sleep end later than the code meant, and the test waits for
/// an event past the time it has advanced to). A busy machine only makes the steps slower.
/// </summary>
public sealed class SteppedTime : FakeTimeProvider
{
    private readonly Lock _gate = new();
    private int _armed;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public SteppedTime()
    {
    }

    public SteppedTime(DateTimeOffset start)
        : base(start)
    {
    }

    /// <summary>
    /// Advances the clock by <paramref name="step"/> once <paramref name="sleepers"/> timers are armed (the timers the
    /// code under test sleeps on between its steps); false, without advancing, when <paramref name="loop"/> (the code
    /// under test) ended first.
    /// </summary>
    public async Task<bool> StepAsync(TimeSpan step, Task loop, int sleepers = 1)
    {
        ArgumentNullException.ThrowIfNull(loop);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_armed >= sleepers)
                {
                    break;
                }

                changed = _changed.Task;
            }

            if (await Task.WhenAny(changed, loop).WaitAsync(Generous.Wait).ConfigureAwait(false) == loop)
            {
                return false;
            }
        }

        Advance(step);
        return true;
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ArmedTimer(this, period);
        timer.Arm(dueTime);
        timer.Inner = base.CreateTimer(
            s =>
            {
                timer.Fired();
                callback(s);
            },
            state,
            dueTime,
            period);
        return timer;
    }

    private void Count(int change)
    {
        lock (_gate)
        {
            _armed += change;
            _changed.TrySetResult();
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>A timer of the fake clock that counts itself armed from a due time until it fires once or is stopped.</summary>
    private sealed class ArmedTimer(SteppedTime owner, TimeSpan period) : ITimer
    {
        private int _armed;
        private TimeSpan _period = period;

        public ITimer Inner { get; set; } = null!;

        public void Arm(TimeSpan dueTime) => Set(dueTime != Timeout.InfiniteTimeSpan);

        public void Fired()
        {
            if (_period == Timeout.InfiniteTimeSpan || _period == TimeSpan.Zero)
            {
                Set(false);
            }
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            _period = period;
            Set(dueTime != Timeout.InfiniteTimeSpan);
            return Inner.Change(dueTime, period);
        }

        public void Dispose()
        {
            Set(false);
            Inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Set(false);
            return Inner.DisposeAsync();
        }

        private void Set(bool armed)
        {
            var was = Interlocked.Exchange(ref _armed, armed ? 1 : 0);
            var change = (armed ? 1 : 0) - was;
            if (change != 0)
            {
                owner.Count(change);
            }
        }
    }
}
