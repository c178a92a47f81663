using ExtensionCache.Extension.Sources;
using Microsoft.Extensions.Time.Testing;

namespace ExtensionCache.Tests.Sources;

/// <summary>
/// Restored copies of one SnapStart snapshot must not retry in step. Every fetch makes its own <see cref="RetryPolicy"/>
/// (an INIT's, each refresh check's), and a policy's jitter comes from a generator seeded from the system's random
/// source when the policy is made (.NET's <c>new Random()</c>), which Lambda keeps unique in every restored copy: so
/// each copy's fetches after its restore wait their own times. These tests read the waits a policy asks its clock for.
/// </summary>
public sealed class RetryJitterSeedTests
{
    private static readonly TransientSourceException SlowDown = new("answered HTTP 503 SlowDown") { Throttled = true };

    [Fact]
    public async Task Each_policy_made_with_the_default_generator_draws_its_own_waits()
    {
        var first = await ThrottledWaitsAsync(random: null);
        var second = await ThrottledWaitsAsync(random: null);

        Assert.Equal(6, first.Count);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public async Task Policies_sharing_a_seed_wait_in_step_which_is_what_the_default_avoids()
    {
        var first = await ThrottledWaitsAsync(new Random(42));
        var second = await ThrottledWaitsAsync(new Random(42));

        Assert.Equal(first, second);
    }

    /// <summary>The waits before each retry of six throttled attempts (the seventh succeeds).</summary>
    private static async Task<List<TimeSpan>> ThrottledWaitsAsync(Random? random)
    {
        var time = new RecordingTime();
        var retry = new RetryPolicy(time, random: random);
        var attempts = 0;
        var run = retry.ExecuteAsync((_, _) => ++attempts <= 6 ? throw SlowDown : Task.FromResult(attempts), "GET s3://b/k", CancellationToken.None);
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!run.IsCompleted)
        {
            await Task.Delay(1, guard.Token);
            time.Advance(Backoff.ThrottleCap);
        }

        Assert.Equal(7, await run);
        return time.Delays;
    }

    /// <summary>A fake clock that records the delay of every timer made on it.</summary>
    private sealed class RecordingTime : FakeTimeProvider
    {
        private readonly List<TimeSpan> _delays = [];

        public List<TimeSpan> Delays
        {
            get
            {
                lock (_delays)
                {
                    return [.. _delays];
                }
            }
        }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            lock (_delays)
            {
                _delays.Add(dueTime);
            }

            return base.CreateTimer(callback, state, dueTime, period);
        }
    }
}
