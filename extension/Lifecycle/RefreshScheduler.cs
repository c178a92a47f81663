using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Logging;

namespace ExtensionCache.Extension.Lifecycle;

/// <summary>
/// When each refreshing bundle is checked next. A check is due one period after the previous check started; after
/// a failed check the wait doubles (one, two, four, then eight periods) until a check succeeds. On demand the host
/// calls <see cref="StartDue"/> at every INVOKE; on Managed Instances <see cref="RunTimerAsync"/> drives it. At most
/// one check per bundle runs at a time; a check still running when its next one falls due is not duplicated.
/// </summary>
public sealed class RefreshScheduler
{
    /// <summary>The longest wait after failures, in periods.</summary>
    public const int MaxBackoffPeriods = 8;

    private static readonly TimeSpan RunningPoll = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The longest single sleep of the timer. A due time can be 56 days away (8 periods of the longest period, 7
    /// days), longer than a timer can wait (2^32 - 2 ms, 49.7 days): the timer sleeps in steps and looks again.
    /// </summary>
    public static readonly TimeSpan MaxSleep = TimeSpan.FromDays(1);

    private readonly List<Entry> entries;
    private readonly Func<BundleSpec, CancellationToken, Task<bool>> check;
    private readonly TimeProvider time;
    private readonly LifecycleLog log;
    private readonly Lock gate = new();

    /// <param name="check">Runs one check; returns false when it failed (it must not throw but on cancellation).</param>
    public RefreshScheduler(IEnumerable<BundleSpec> bundles, Func<BundleSpec, CancellationToken, Task<bool>> check, TimeProvider time, LifecycleLog log)
    {
        ArgumentNullException.ThrowIfNull(bundles);
        this.check = check;
        this.time = time;
        this.log = log;
        var now = time.GetUtcNow();
        entries = [.. bundles.Where(b => b.Refreshes).Select(b => new Entry(b) { NextDue = now + Period(b) })];
    }

    public bool Any => entries.Count > 0;

    /// <summary>How long to wait after <paramref name="failures"/> failed checks in a row.</summary>
    public static TimeSpan Delay(TimeSpan period, int failures) =>
        period * Math.Min(MaxBackoffPeriods, 1 << Math.Clamp(failures - 1, 0, 3));

    /// <summary>The next due time of <paramref name="bundle"/>, for tests and logs.</summary>
    public DateTimeOffset NextDue(string bundle)
    {
        lock (gate)
        {
            return entries.Single(e => e.Bundle.Name == bundle).NextDue;
        }
    }

    /// <summary>Starts every check that is due and not running; the task ends when those checks end.</summary>
    public Task StartDue(CancellationToken ct)
    {
        var started = new List<Task>();
        var now = time.GetUtcNow();
        lock (gate)
        {
            foreach (var entry in entries.Where(e => e.Running is null && e.NextDue <= now))
            {
                entry.Running = RunAsync(entry, now, ct);
                started.Add(entry.Running);
            }
        }

        return started.Count == 0 ? Task.CompletedTask : Task.WhenAll(started);
    }

    /// <summary>
    /// Makes every check that is not running due now, whatever its period: the first invoke after a restore from a
    /// snapshot checks what a cold start on demand would have checked at its INIT.
    /// </summary>
    public void MakeAllDue()
    {
        var now = time.GetUtcNow();
        lock (gate)
        {
            foreach (var entry in entries.Where(e => e.Running is null && e.NextDue > now))
            {
                entry.NextDue = now;
            }
        }
    }

    /// <summary>Every check that is running now (to wait for them at shutdown).</summary>
    public Task Running()
    {
        lock (gate)
        {
            return Task.WhenAll(entries.Select(e => e.Running).OfType<Task>());
        }
    }

    /// <summary>Managed Instances: sleeps until the earliest due time, starts what is due, forever.</summary>
    public async Task RunTimerAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            TimeSpan wait;
            lock (gate)
            {
                // A running check sets its next due time when it ends: look again within a second meanwhile.
                var now = time.GetUtcNow();
                wait = entries.Select(e => e.Running is null ? e.NextDue - now : RunningPoll).Min();
            }

            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait < MaxSleep ? wait : MaxSleep, time, ct).ConfigureAwait(false);
                continue;
            }

            _ = StartDue(ct);
        }
    }

    private static TimeSpan Period(BundleSpec bundle) => TimeSpan.FromSeconds(bundle.RefreshSeconds);

    private async Task RunAsync(Entry entry, DateTimeOffset startedAt, CancellationToken ct)
    {
        await Task.Yield();
        var ok = false;
        try
        {
            ok = await check(entry.Bundle, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            // A bug in a check must never reach an invocation: count it as a failed check.
            log.Error("refresh check crashed", ("bundle", entry.Bundle.Name), ("error", $"{e.GetType().Name}: {e.Message}"));
        }
        finally
        {
            lock (gate)
            {
                entry.Failures = ok ? 0 : entry.Failures + 1;
                entry.NextDue = startedAt + Delay(Period(entry.Bundle), entry.Failures);
                entry.Running = null;
            }
        }
    }

    private sealed class Entry(BundleSpec bundle)
    {
        public BundleSpec Bundle => bundle;

        public DateTimeOffset NextDue { get; set; }

        public int Failures { get; set; }

        public Task? Running { get; set; }
    }
}
