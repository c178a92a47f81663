using ExtensionCache.Extension.Failures;

namespace ExtensionCache.Extension.Sources;

/// <summary>
/// Retries of transient source failures for one fetch, bounded by its <see cref="FetchBudget"/>: no attempt and no
/// wait outlasts it (an INIT's budget is unbounded: Lambda ends INIT itself). A throttling answer (503 SlowDown,
/// 429) is retried until the budget ends, after a full-jitter backoff (<see cref="Backoff"/>), and cuts this
/// process's requests in flight (<see cref="InFlightController"/>); other transient failures (other 5xx, a dropped
/// connection, a short body, a stall) keep a bounded number of attempts, where an attempt that was in flight while
/// the sandbox was thawed is not counted: a freeze, not the server, may have broken its connection. Permanent
/// failures (<see cref="BundleException"/>) and cancellation are never retried. Every request made through
/// <see cref="ExecuteAsync{T}"/> holds one in-flight slot.
/// </summary>
public sealed class RetryPolicy
{
    /// <summary>The least time worth starting one more attempt with before the budget ends.</summary>
    public static readonly TimeSpan LastAttempt = TimeSpan.FromMilliseconds(250);

    private readonly TimeProvider _time;
    private readonly int _maxAttempts;
    private readonly Backoff _errorBackoff;
    private readonly Backoff _throttleBackoff;

    /// <param name="random">The jitter's source; by default a new generator seeded from the system, so copies of a
    /// restored snapshot do not retry in step.</param>
    /// <param name="budget">How long the fetch may retry; unbounded by default (only the caller ends it).</param>
    public RetryPolicy(
        TimeProvider time,
        int maxAttempts = 5,
        int baseDelayMs = 100,
        int maxDelayMs = 2000,
        FetchBudget? budget = null,
        InFlightController? inFlight = null,
        Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _maxAttempts = maxAttempts;
        Budget = budget ?? FetchBudget.Unbounded(new SandboxClock(time));
        InFlight = inFlight ?? new InFlightController();
        random ??= new Random();
        _errorBackoff = new Backoff(TimeSpan.FromMilliseconds(baseDelayMs), TimeSpan.FromMilliseconds(maxDelayMs), random, floor: 0.5);
        _throttleBackoff = new Backoff(Backoff.ThrottleBase, Backoff.ThrottleCap, random);
    }

    /// <summary>Attempts for a transient failure that is not throttling.</summary>
    public int MaxAttempts => _maxAttempts;

    public FetchBudget Budget { get; }

    public InFlightController InFlight { get; }

    public TimeProvider Time => _time;

    public async Task<T> ExecuteAsync<T>(Func<int, CancellationToken, Task<T>> action, string what, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(action);
        var started = _time.GetTimestamp();
        var throttled = 0;
        var errors = 0;

        // The last answer that was the server's (or the network's), not the budget's own cancellation: the cause an
        // out-of-time failure names.
        Exception? lastAnswer = null;
        for (var attempt = 1; ; attempt++)
        {
            if (Budget.IsSpent)
            {
                throw OutOfTime(what, attempt - 1, started, throttled, lastAnswer);
            }

            using var timer = Timer();
            using var bounded = timer is null
                ? CancellationTokenSource.CreateLinkedTokenSource(ct)
                : CancellationTokenSource.CreateLinkedTokenSource(ct, timer.Token);
            int epoch;
            try
            {
                epoch = await InFlight.AcquireAsync(bounded.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested && Budget.IsSpent)
            {
                throw OutOfTime(what, attempt - 1, started, throttled, lastAnswer);
            }

            var thaws = Budget.Thaws;
            Exception failure;
            try
            {
                var result = await action(attempt, bounded.Token).ConfigureAwait(false);
                InFlight.Succeeded();
                return result;
            }
            catch (Exception ex) when (IsThrottling(ex))
            {
                InFlight.Throttled(epoch);
                failure = ex;
                lastAnswer = ex;
                throttled++;
            }
            catch (Exception ex)
            {
                InFlight.Released();
                if (!IsTransient(ex, ct))
                {
                    throw;
                }

                if (!(ex is OperationCanceledException && timer is { IsCancellationRequested: true }))
                {
                    lastAnswer = ex;
                }

                if (Budget.IsSpent)
                {
                    throw OutOfTime(what, attempt, started, throttled, lastAnswer);
                }

                failure = ex;
                if (Budget.Thaws == thaws && ++errors >= _maxAttempts)
                {
                    throw new BundleException(FailureKind.BundleFetchFailed, $"{what} failed after {attempt} attempts: {ex.Message}", ex);
                }
            }

            var delay = failure is TransientSourceException { Throttled: true }
                ? _throttleBackoff.Delay(throttled)
                : _errorBackoff.Delay(Math.Max(errors, 1));

            // A wait that would pass the end of the budget is shortened to leave one last attempt; give up only when
            // not even that fits.
            if (Budget.Limit is not null)
            {
                var latest = Budget.Remaining - LastAttempt;
                if (latest <= TimeSpan.Zero)
                {
                    throw OutOfTime(what, attempt, started, throttled, lastAnswer);
                }

                delay = delay < latest ? delay : latest;
            }

            await Task.Delay(delay, _time, ct).ConfigureAwait(false);
        }
    }

    /// <summary>A source cancelled when the budget ends, on this policy's clock; null when the budget is unbounded.</summary>
    private CancellationTokenSource? Timer()
    {
        if (Budget.Limit is null)
        {
            return null;
        }

        var remaining = Budget.Remaining;
        return new CancellationTokenSource(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, _time);
    }

    private BundleException OutOfTime(string what, int attempts, long started, int throttled, Exception? lastError) =>
        new(
            FailureKind.BundleFetchFailed,
            $"{what} could not finish within {Budget.Description}: {attempts} attempt(s) over "
                + $"{_time.GetElapsedTime(started).TotalSeconds:0.0} s, {throttled} throttled"
                + (lastError is null ? string.Empty : $"; last: {lastError.Message}"),
            lastError);

    private static bool IsThrottling(Exception ex) => ex is TransientSourceException { Throttled: true };

    private static bool IsTransient(Exception ex, CancellationToken ct) => ex switch
    {
        BundleException => false,
        OperationCanceledException when ct.IsCancellationRequested => false,
        TransientSourceException => true,
        IOException => true,
        HttpRequestException => true,

        // A per-request timeout (not the caller's token) surfaces as a cancellation: retry it.
        OperationCanceledException => true,
        _ => false,
    };
}
