using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Lifecycle;
using ExtensionCache.Tests.Fixtures;
using Microsoft.Extensions.Time.Testing;

namespace ExtensionCache.Tests.Lifecycle;

public sealed class RefreshSchedulerTests
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(60);

    private static BundleSpec Bundle(string name, int seconds) =>
        new(name, new FileLocation(new Uri($"file:///x/{name}.zip"), $"/x/{name}.zip"), BundleFormat.Zip, null, seconds);

    private sealed class Checks
    {
        public List<string> Started { get; } = [];

        public bool Succeed { get; set; } = true;

        public TaskCompletionSource? Gate { get; set; }

        public async Task<bool> RunAsync(BundleSpec bundle, CancellationToken ct)
        {
            lock (Started)
            {
                Started.Add(bundle.Name);
            }

            if (Gate is { } gate)
            {
                await gate.Task.WaitAsync(ct);
            }

            return Succeed;
        }
    }

    [Fact]
    public async Task A_check_is_due_one_period_after_start_and_after_the_previous_check()
    {
        var time = new FakeTimeProvider();
        var checks = new Checks();
        var scheduler = new RefreshScheduler([Bundle("a", 60), Bundle("off", 0)], checks.RunAsync, time, new TestLog().Log);

        await scheduler.StartDue(CancellationToken.None);
        Assert.Empty(checks.Started);

        time.Advance(Period - TimeSpan.FromSeconds(1));
        await scheduler.StartDue(CancellationToken.None);
        Assert.Empty(checks.Started);

        time.Advance(TimeSpan.FromSeconds(1));
        await scheduler.StartDue(CancellationToken.None);
        Assert.Equal(["a"], checks.Started);

        // The next invoke right after does not check again.
        await scheduler.StartDue(CancellationToken.None);
        Assert.Equal(["a"], checks.Started);
        Assert.Equal(time.GetUtcNow() + Period, scheduler.NextDue("a"));
    }

    [Fact]
    public async Task Failed_checks_back_off_one_two_four_then_eight_periods_and_a_success_resets()
    {
        var time = new FakeTimeProvider();
        var checks = new Checks { Succeed = false };
        var scheduler = new RefreshScheduler([Bundle("a", 60)], checks.RunAsync, time, new TestLog().Log);
        var waits = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            time.Advance(scheduler.NextDue("a") - time.GetUtcNow());
            await scheduler.StartDue(CancellationToken.None);
            waits.Add((scheduler.NextDue("a") - time.GetUtcNow()).TotalSeconds);
        }

        Assert.Equal([60, 120, 240, 480, 480], waits);

        checks.Succeed = true;
        time.Advance(scheduler.NextDue("a") - time.GetUtcNow());
        await scheduler.StartDue(CancellationToken.None);
        Assert.Equal(Period, scheduler.NextDue("a") - time.GetUtcNow());
    }

    [Fact]
    public async Task A_check_still_running_when_the_next_falls_due_is_not_started_twice()
    {
        var time = new FakeTimeProvider();
        var checks = new Checks { Gate = new TaskCompletionSource() };
        var scheduler = new RefreshScheduler([Bundle("a", 60)], checks.RunAsync, time, new TestLog().Log);

        time.Advance(Period);
        var first = scheduler.StartDue(CancellationToken.None);
        time.Advance(Period * 3);
        await scheduler.StartDue(CancellationToken.None);
        await WaitUntil(() => checks.Started.Count == 1);
        Assert.False(first.IsCompleted);

        checks.Gate.SetResult();
        await first;
        Assert.Single(checks.Started);
    }

    [Fact]
    public async Task A_crashing_check_counts_as_a_failure_and_never_throws()
    {
        var time = new FakeTimeProvider();
        var log = new TestLog();
        var scheduler = new RefreshScheduler([Bundle("a", 60)], (_, _) => throw new InvalidOperationException("boom"), time, log.Log);

        time.Advance(Period);
        await scheduler.StartDue(CancellationToken.None);
        time.Advance(Period);
        await scheduler.StartDue(CancellationToken.None);

        // Two failures in a row: the second wait is two periods.
        Assert.Equal(Period * 2, scheduler.NextDue("a") - time.GetUtcNow());
        Assert.Contains("refresh check crashed", log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_timer_checks_each_bundle_at_its_own_period()
    {
        var time = new SteppedTime();
        var checks = new Checks();
        var scheduler = new RefreshScheduler([Bundle("a", 60), Bundle("b", 150)], checks.RunAsync, time, new TestLog().Log);
        using var stop = new CancellationTokenSource();
        var timer = scheduler.RunTimerAsync(stop.Token);

        // 300 s in 1 s steps, each step only once the timer has acted on the last (the checks it starts end at once)
        // and sleeps again.
        var started = time.GetUtcNow();
        while (time.GetUtcNow() - started < TimeSpan.FromSeconds(300))
        {
            var seconds = (int)(time.GetUtcNow() - started).TotalSeconds + 1;
            Assert.True(await time.StepAsync(TimeSpan.FromSeconds(1), timer), $"the timer ended: {timer.Exception?.InnerException?.Message}");
            var expected = (seconds / 60) + (seconds / 150);
            await WaitUntil(() => Count(checks) == expected);
        }

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => timer);
        Assert.Equal(5, checks.Started.Count(n => n == "a"));
        Assert.Equal(2, checks.Started.Count(n => n == "b"));
    }

    [Fact]
    public async Task At_the_longest_period_a_failing_bundle_backs_off_to_56_days_and_the_timer_keeps_running()
    {
        // 8 periods of 7 days is longer than a timer can wait at once (2^32 - 2 ms, 49.7 days): the timer sleeps in steps.
        var period = TimeSpan.FromSeconds(CacheOptions.MaxRefreshSeconds);
        var time = new SteppedTime();
        var started = time.GetUtcNow();
        var checkedAt = new List<double>();
        var log = new TestLog();
        var scheduler = new RefreshScheduler(
            [Bundle("a", CacheOptions.MaxRefreshSeconds)],
            (_, _) =>
            {
                lock (checkedAt)
                {
                    checkedAt.Add(Math.Round((time.GetUtcNow() - started) / period, 1));
                }

                return Task.FromResult(false);
            },
            time,
            log.Log);
        using var stop = new CancellationTokenSource();
        var timer = scheduler.RunTimerAsync(stop.Token);

        // Failing checks wait one, two, four, then eight periods: checks at 1, 2, 4, 8, 16 and 24 periods (168 days).
        while (Count(checkedAt) < 6 && time.GetUtcNow() - started < period * 30)
        {
            if (!await time.StepAsync(TimeSpan.FromHours(1), timer))
            {
                break;
            }

            if (scheduler.NextDue("a") <= time.GetUtcNow())
            {
                var expected = Count(checkedAt) + 1;
                await WaitUntil(() => timer.IsCompleted || (Count(checkedAt) == expected && scheduler.NextDue("a") > time.GetUtcNow()));
            }
        }

        Assert.False(timer.IsCompleted, $"the timer ended: {timer.Exception?.InnerException?.Message}");
        Assert.Equal([1.0, 2, 4, 8, 16, 24], checkedAt);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => timer);
        Assert.DoesNotContain("refresh timer stopped", log.Text, StringComparison.Ordinal);
    }

    private static int Count(List<double> times)
    {
        lock (times)
        {
            return times.Count;
        }
    }

    private static int Count(Checks checks)
    {
        lock (checks.Started)
        {
            return checks.Started.Count;
        }
    }

    /// <summary>Waits for a condition the code under test brings about on its own threads; the bound is a guard, not a guess.</summary>
    private static async Task WaitUntil(Func<bool> condition)
    {
        var guard = System.Diagnostics.Stopwatch.StartNew();
        while (!condition() && guard.Elapsed < TimeSpan.FromMinutes(1))
        {
            await Task.Delay(1);
        }

        Assert.True(condition(), "the condition did not come true within a minute");
    }
}
