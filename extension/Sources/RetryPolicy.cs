using ExtensionCache.Extension.Failures;

namespace ExtensionCache.Extension.Sources;

/// <summary>
/// Bounded retries with exponential backoff and full jitter for transient source failures.
/// Permanent failures (<see cref="BundleException"/>) and cancellation are never retried.
/// </summary>
public sealed class RetryPolicy(TimeProvider time, int maxAttempts = 5, int baseDelayMs = 100, int maxDelayMs = 2000)
{
    public int MaxAttempts => maxAttempts;

    public async Task<T> ExecuteAsync<T>(Func<int, CancellationToken, Task<T>> action, string what, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await action(attempt, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsTransient(ex, ct) && attempt < maxAttempts)
            {
                var cap = Math.Min(maxDelayMs, baseDelayMs << Math.Min(attempt - 1, 16));
                var delay = TimeSpan.FromMilliseconds(Random.Shared.Next(cap / 2, cap + 1));
                await Task.Delay(delay, time, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsTransient(ex, ct))
            {
                throw new BundleException(
                    FailureKind.BundleFetchFailed,
                    $"{what} failed after {maxAttempts} attempts: {ex.Message}",
                    ex);
            }
        }
    }

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
