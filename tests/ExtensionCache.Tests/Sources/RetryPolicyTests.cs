using ExtensionCache.Extension.Failures;
using ExtensionCache.Extension.Sources;
using Microsoft.Extensions.Time.Testing;

namespace ExtensionCache.Tests.Sources;

/// <summary>The retry policy on a fake clock: every wait is the policy's own, and time moves only when the test says.</summary>
public sealed class RetryPolicyTests
{
    private static readonly TransientSourceException SlowDown = new("answered HTTP 503 SlowDown") { Throttled = true };
    private static readonly TransientSourceException InternalError = new("answered HTTP 500 InternalError");

    [Fact]
    public async Task Throttling_is_retried_until_the_deadline_then_fails_naming_it()
    {
        var time = new FakeTimeProvider();
        var deadline = new FetchDeadline(time, TimeSpan.FromSeconds(10), "the on-demand INIT limit of 10 s");
        var retry = new RetryPolicy(time, maxAttempts: 5, deadline: deadline, random: new Random(1));
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
        while (!run.IsCompleted)
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
            await Task.Yield();
        }

        var error = await Assert.ThrowsAsync<BundleException>(() => run);
        Assert.Equal(FailureKind.BundleFetchFailed, error.Kind);
        Assert.Contains("GET s3://b/k could not finish within the on-demand INIT limit of 10 s", error.Message, StringComparison.Ordinal);
        Assert.Contains("503 SlowDown", error.Message, StringComparison.Ordinal);
        Assert.True(attempts.Count > 5, $"{attempts.Count} attempts: throttling must not be bounded by the attempt count");

        // The last attempt was started within the last part of the budget, and none after the deadline.
        Assert.InRange(attempts[^1], TimeSpan.FromSeconds(10) - RetryPolicy.LastAttempt - TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(10));

        // Throttling lowered the window to one request in flight.
        Assert.Equal(1, retry.InFlight.Window);
    }

    [Fact]
    public async Task Other_server_errors_keep_a_bounded_number_of_attempts_with_half_jitter()
    {
        var time = new FakeTimeProvider();
        var retry = new RetryPolicy(time, maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 2000, deadline: new FetchDeadline(time, TimeSpan.FromSeconds(60), "60 s"), random: new Random(2));
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
        while (!run.IsCompleted)
        {
            time.Advance(TimeSpan.FromMilliseconds(5));
            await Task.Yield();
        }

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
    public async Task A_throttled_request_that_then_succeeds_returns_its_answer()
    {
        var time = new FakeTimeProvider();
        var retry = new RetryPolicy(time, deadline: new FetchDeadline(time, TimeSpan.FromSeconds(10), "10 s"), random: new Random(3));
        var calls = 0;

        var run = retry.ExecuteAsync(
            (attempt, _) => ++calls < 4 ? throw SlowDown : Task.FromResult(attempt),
            "probe",
            CancellationToken.None);
        while (!run.IsCompleted)
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
            await Task.Yield();
        }

        Assert.Equal(4, await run);
        Assert.Equal(0, retry.InFlight.InFlight);
    }

    [Fact]
    public async Task Nothing_is_attempted_once_the_deadline_has_passed()
    {
        var time = new FakeTimeProvider();
        var deadline = new FetchDeadline(time, TimeSpan.FromSeconds(1), "a 1 s limit");
        time.Advance(TimeSpan.FromSeconds(2));
        var retry = new RetryPolicy(time, deadline: deadline);
        var calls = 0;

        var error = await Assert.ThrowsAsync<BundleException>(() => retry.ExecuteAsync((_, _) => Task.FromResult(++calls), "probe", CancellationToken.None));

        Assert.Equal(0, calls);
        Assert.Contains("could not finish within a 1 s limit", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, 10.0)]
    [InlineData("on-demand", 10.0)]
    [InlineData("lambda-managed-instances", 130.0)]
    public void The_deadline_is_the_init_limit_less_the_time_already_run_and_the_reserve(string? initializationType, double limitSeconds)
    {
        var time = new FakeTimeProvider();

        var deadline = FetchDeadline.ForInit(
            name => name == FetchDeadline.InitializationTypeVariable ? initializationType : null,
            time,
            TimeSpan.FromMilliseconds(300));

        Assert.Equal(TimeSpan.FromSeconds(limitSeconds) - TimeSpan.FromMilliseconds(300) - FetchDeadline.Reserve, deadline.Budget);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(deadline.Budget - TimeSpan.FromSeconds(1), deadline.Remaining);
    }
}
