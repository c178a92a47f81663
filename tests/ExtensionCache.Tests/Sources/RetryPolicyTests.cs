using ExtensionCache.Extension.Failures;
using ExtensionCache.Extension.Sources;
using ExtensionCache.Tests.Fixtures;

namespace ExtensionCache.Tests.Sources;

/// <summary>
/// The retry policy on a fake clock, at the budgets the extension really uses (a refresh check's 15 minutes of running
/// time; no limit at INIT): every wait is the policy's own, and time moves only when the test says.
/// </summary>
public sealed class RetryPolicyTests
{
    private static readonly TransientSourceException SlowDown = new("answered HTTP 503 SlowDown") { Throttled = true };
    private static readonly TransientSourceException InternalError = new("answered HTTP 500 InternalError");

    [Fact]
    public async Task Throttling_is_retried_until_a_refresh_checks_budget_of_15_minutes_ends_then_fails_naming_it()
    {
        var time = new SteppedTime();
        var retry = new RetryPolicy(time, maxAttempts: 5, budget: FetchBudget.ForRefreshCheck(new SandboxClock(time)), random: new Random(1));
        var attempts = new List<TimeSpan>();
        var started = time.GetTimestamp();

        var run = retry.ExecuteAsync<int>(
            (_, _) =>
            {
                attempts.Add(time.GetElapsedTime(started));
                throw SlowDown;
            },
            "GET s3://b/k",
            CancellationToken.None);
        await AdvanceUntilDoneAsync(time, run, TimeSpan.FromMilliseconds(50), retry);

        var error = await Assert.ThrowsAsync<BundleException>(() => run);
        Assert.Equal(FailureKind.BundleFetchFailed, error.Kind);
        Assert.Contains("GET s3://b/k could not finish within a refresh check's budget of 15 min of running time", error.Message, StringComparison.Ordinal);
        Assert.Contains("503 SlowDown", error.Message, StringComparison.Ordinal);
        Assert.True(attempts.Count > 100, $"{attempts.Count} attempts: throttling must not be bounded by the attempt count");

        // The last attempt was started within the last part of the budget, and none after its end.
        Assert.InRange(attempts[^1], FetchBudget.RefreshCheck - RetryPolicy.LastAttempt - Backoff.ThrottleCap, FetchBudget.RefreshCheck);

        // Throttling lowered the window to one request in flight.
        Assert.Equal(1, retry.InFlight.Window);
    }

    [Fact]
    public async Task Time_the_sandbox_spends_frozen_does_not_count_against_a_refresh_checks_budget()
    {
        // On demand a check gets the refresh wait after an INVOKE, then the sandbox is frozen until the next invoke,
        // hours later perhaps: the budget is running time, so a check spread over many thaws is not cut short.
        var time = new SteppedTime();
        var clock = new SandboxClock(time);
        var retry = new RetryPolicy(time, budget: FetchBudget.ForRefreshCheck(clock), random: new Random(4));
        var run = retry.ExecuteAsync<int>((_, _) => throw SlowDown, "GET s3://b/k", CancellationToken.None);

        // 60 invokes an hour apart, each followed by 100 ms of work before next: 60 hours of wall time.
        for (var invoke = 0; invoke < 60; invoke++)
        {
            clock.Thaw();
            await time.StepAsync(TimeSpan.FromMilliseconds(100), run, Sleepers(retry));
            clock.Pause();
            await time.StepAsync(TimeSpan.FromHours(1), run, Sleepers(retry));
        }

        Assert.False(run.IsCompleted, "the budget ran out in frozen time");
        Assert.True(clock.Running < TimeSpan.FromSeconds(7), $"running time {clock.Running}");

        // Running for good (Managed Instances, or an invoke that lasts): the budget ends after 15 minutes of it.
        clock.Thaw();
        var thawedAt = time.GetTimestamp();
        await AdvanceUntilDoneAsync(time, run, TimeSpan.FromMilliseconds(50), retry);
        var error = await Assert.ThrowsAsync<BundleException>(() => run);
        Assert.Contains("budget of 15 min", error.Message, StringComparison.Ordinal);
        Assert.InRange(time.GetElapsedTime(thawedAt), FetchBudget.RefreshCheck - TimeSpan.FromSeconds(10), FetchBudget.RefreshCheck);
    }

    [Fact]
    public async Task At_INIT_throttling_is_retried_past_any_limit_of_its_own_until_cancelled()
    {
        // INIT's budget is unbounded: Lambda ends INIT itself (10 s on demand; a retried INIT runs under the function
        // timeout; Managed Instances up to 15 minutes), so the extension never gives up first.
        var time = new SteppedTime();
        var retry = new RetryPolicy(time, budget: FetchBudget.Unbounded(new SandboxClock(time)), random: new Random(5));
        var attempts = 0;
        using var stop = new CancellationTokenSource();
        var run = retry.ExecuteAsync<int>(
            (_, _) =>
            {
                attempts++;
                throw SlowDown;
            },
            "GET s3://b/k",
            stop.Token);

        for (var step = 0; step < 20 * 60 * 20; step++)
        {
            if (!await time.StepAsync(TimeSpan.FromMilliseconds(50), run, Sleepers(retry)))
            {
                break;
            }
        }

        Assert.False(run.IsCompleted, "INIT gave up on its own");
        Assert.True(attempts > 300, $"{attempts} attempts in 20 minutes");
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    [Fact]
    public async Task When_the_budget_ends_during_an_attempt_the_error_names_the_servers_last_answer_not_the_cut()
    {
        var time = new SteppedTime();
        var retry = new RetryPolicy(time, budget: FetchBudget.ForRefreshCheck(new SandboxClock(time)), random: new Random(7));
        var calls = 0;
        var hanging = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = retry.ExecuteAsync<int>(
            async (_, token) =>
            {
                if (++calls == 1)
                {
                    throw SlowDown;
                }

                // The second attempt hangs until the budget's end cancels it: only the budget's timer is then armed.
                hanging.SetResult();
                await Task.Delay(Timeout.InfiniteTimeSpan, time, token);
                return 0;
            },
            "GET s3://b/k",
            CancellationToken.None);
        while (await time.StepAsync(TimeSpan.FromSeconds(1), hanging.Task, Sleepers(retry)))
        {
        }

        while (await time.StepAsync(TimeSpan.FromSeconds(1), run, sleepers: 1))
        {
        }

        var error = await Assert.ThrowsAsync<BundleException>(() => run);
        Assert.Equal(2, calls);
        Assert.Contains("could not finish within a refresh check's budget", error.Message, StringComparison.Ordinal);
        Assert.Contains("last: answered HTTP 503 SlowDown", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Other_server_errors_keep_a_bounded_number_of_attempts_with_half_jitter()
    {
        var time = new SteppedTime();
        var retry = new RetryPolicy(time, maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 2000, random: new Random(2));
        var attempts = new List<TimeSpan>();
        var started = time.GetTimestamp();

        var run = retry.ExecuteAsync<int>(
            (_, _) =>
            {
                attempts.Add(time.GetElapsedTime(started));
                throw InternalError;
            },
            "probe",
            CancellationToken.None);
        await AdvanceUntilDoneAsync(time, run, TimeSpan.FromMilliseconds(5), retry);

        var error = await Assert.ThrowsAsync<BundleException>(() => run);
        Assert.Contains("probe failed after 5 attempts", error.Message, StringComparison.Ordinal);
        Assert.Equal(5, attempts.Count);
        for (var k = 1; k < attempts.Count; k++)
        {
            var ceiling = Math.Min(2000, 100 << (k - 1));
            Assert.InRange((attempts[k] - attempts[k - 1]).TotalMilliseconds, ceiling / 2.0, ceiling + 10);
        }

        Assert.Equal(InFlightController.MaxWindow, retry.InFlight.Window);
    }

    [Fact]
    public async Task An_error_of_an_attempt_a_thaw_interrupted_is_not_counted_against_the_attempts()
    {
        // A connection that was open when the sandbox froze is often dead at the thaw: that is the freeze, not the server.
        var time = new SteppedTime();
        var clock = new SandboxClock(time);
        var retry = new RetryPolicy(time, maxAttempts: 5, budget: FetchBudget.ForRefreshCheck(clock), random: new Random(6));
        var attempts = 0;
        var run = retry.ExecuteAsync<int>(
            (_, _) =>
            {
                // The first 20 attempts are each interrupted by a freeze and a thaw; the ones after that are not.
                if (++attempts <= 20)
                {
                    clock.Pause();
                    time.Advance(TimeSpan.FromMinutes(30));
                    clock.Thaw();
                }

                throw InternalError;
            },
            "probe",
            CancellationToken.None);

        // The 30 minutes an interrupted attempt spends frozen outlast the budget's timer (15 minutes of running
        // time), so until the 21st attempt the retry sleeps on its backoff alone.
        while (await time.StepAsync(TimeSpan.FromMilliseconds(5), run, Volatile.Read(ref attempts) <= 20 ? 1 : Sleepers(retry)))
        {
        }

        var error = await Assert.ThrowsAsync<BundleException>(() => run);
        Assert.Contains("failed after 25 attempts", error.Message, StringComparison.Ordinal);
        Assert.Equal(25, attempts);
    }

    [Fact]
    public async Task A_throttled_request_that_then_succeeds_returns_its_answer()
    {
        var time = new SteppedTime();
        var retry = new RetryPolicy(time, budget: FetchBudget.ForRefreshCheck(new SandboxClock(time)), random: new Random(3));
        var calls = 0;

        var run = retry.ExecuteAsync(
            (attempt, _) => ++calls < 4 ? throw SlowDown : Task.FromResult(attempt),
            "probe",
            CancellationToken.None);
        await AdvanceUntilDoneAsync(time, run, TimeSpan.FromMilliseconds(10), retry);

        Assert.Equal(4, await run);
        Assert.Equal(0, retry.InFlight.InFlight);
    }

    [Fact]
    public async Task Nothing_is_attempted_once_the_budget_is_spent()
    {
        var time = new SteppedTime();
        var budget = FetchBudget.ForRefreshCheck(new SandboxClock(time));
        time.Advance(FetchBudget.RefreshCheck + TimeSpan.FromSeconds(1));
        var retry = new RetryPolicy(time, budget: budget);
        var calls = 0;

        var error = await Assert.ThrowsAsync<BundleException>(() => retry.ExecuteAsync((_, _) => Task.FromResult(++calls), "probe", CancellationToken.None));

        Assert.Equal(0, calls);
        Assert.Contains("could not finish within a refresh check's budget of 15 min of running time", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Steps the clock while <paramref name="retry"/> sleeps between attempts, until <paramref name="run"/> ends.</summary>
    private static async Task AdvanceUntilDoneAsync(SteppedTime time, Task run, TimeSpan step, RetryPolicy retry)
    {
        while (await time.StepAsync(step, run, Sleepers(retry)))
        {
        }
    }

    /// <summary>The timers a retry sleeps on between attempts: its backoff, and with a bounded budget the budget's own.</summary>
    private static int Sleepers(RetryPolicy retry) => retry.Budget.Limit is null ? 1 : 2;
}
