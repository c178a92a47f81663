using ExtensionCache.Extension.Failures;

namespace ExtensionCache.Extension.Sources;

/// <summary>
/// Retries of transient source failures, bounded by time: every attempt and every wait ends before the
/// <see cref="FetchDeadline"/>. A throttling answer (503 SlowDown, 429) is retried until that deadline, after a
/// full-jitter backoff (<see cref="Backoff"/>), and cuts this process's requests in flight
/// (<see cref="InFlightController"/>); other transient failures (other 5xx, a dropped connection, a short body, a
/// stall) keep a bounded number of attempts. Permanent failures (<see cref="BundleException"/>) and cancellation
/// are never retried. Every request made through <see cref="ExecuteAsync{T}"/> holds one in-flight slot.
/// </summary>
public sealed class RetryPolicy
{
    /// <summary>The least time worth starting one more attempt with before the deadline.</summary>
    public static readonly TimeSpan LastAttempt = TimeSpan.FromMilliseconds(250);

    private readonly TimeProvider _time;
    private readonly int _maxAttempts;
    private readonly Backoff _errorBackoff;
    private readonly Backoff _throttleBackoff;

    public RetryPolicy(
        TimeProvider time,
        int maxAttempts = 5,
        int baseDelayMs = 100,
        int maxDelayMs = 2000,
        FetchDeadline? deadline = null,
        InFlightController? inFlight = null,
        Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _maxAttempts = maxAttempts;
        Deadline = deadline ?? FetchDeadline.None(time);
        InFlight = inFlight ?? new InFlightController();
        random ??= Random.Shared;
        _errorBackoff = new Backoff(TimeSpan.FromMilliseconds(baseDelayMs), TimeSpan.FromMilliseconds(maxDelayMs), random, floor: 0.5);
        _throttleBackoff = new Backoff(Backoff.ThrottleBase, Backoff.ThrottleCap, random);
    }

    /// <summary>Attempts for a transient failure that is not throttling.</summary>
    public int MaxAttempts => _maxAttempts;

    public FetchDeadline Deadline { get; }

    public InFlightController InFlight { get; }

    public async Task<T> ExecuteAsync<T>(Func<int, CancellationToken, Task<T>> action, string what, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(action);
        var started = _time.GetTimestamp();
        var throttled = 0;
        var errors = 0;
        for (var attempt = 1; ; attempt++)
        {
            if (Deadline.Remaining <= TimeSpan.Zero)
            {
                throw OutOfTime(what, attempt - 1, started, throttled, lastError: null);
            }

            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
            bounded.CancelAfter(Deadline.Remaining);
            int epoch;
            try
            {
                epoch = await InFlight.AcquireAsync(bounded.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw OutOfTime(what, attempt - 1, started, throttled, lastError: null);
            }

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
                throttled++;
            }
            catch (Exception ex)
            {
                InFlight.Released();
                if (!IsTransient(ex, ct))
                {
                    throw;
                }

                if (bounded.IsCancellationRequested && Deadline.Remaining <= TimeSpan.Zero)
                {
                    throw OutOfTime(what, attempt, started, throttled, ex);
                }

                failure = ex;
                errors++;
                if (errors >= _maxAttempts)
                {
                    throw new BundleException(
                        FailureKind.BundleFetchFailed,
                        $"{what} failed after {attempt} attempts: {ex.Message}",
                        ex);
                }
            }

            var delay = failure is TransientSourceException { Throttled: true }
                ? _throttleBackoff.Delay(throttled)
                : _errorBackoff.Delay(errors);

            // A wait that would pass the deadline is shortened to leave one last attempt; give up only when not
            // even that fits.
            var latest = Deadline.Remaining - LastAttempt;
            if (latest <= TimeSpan.Zero)
            {
                throw OutOfTime(what, attempt, started, throttled, failure);
            }

            delay = delay < latest ? delay : latest;

            await Task.Delay(delay, _time, ct).ConfigureAwait(false);
        }
    }

    private BundleException OutOfTime(string what, int attempts, long started, int throttled, Exception? lastError) =>
        new(
            FailureKind.BundleFetchFailed,
            $"{what} could not finish within {Deadline.Description}: {attempts} attempt(s) over "
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
