using System.Text.Json;
using ExtensionCache.Client.Paths;
using ExtensionCache.Contract;

namespace ExtensionCache.Client.Readiness;

/// <summary>
/// Waits for <c>&lt;root&gt;/.status/&lt;name&gt;.json</c> and turns it into a path or a clear error.
/// </summary>
public sealed class BundleReadinessWaiter
{
    private readonly BundleLocator locator;
    private readonly TimeProvider timeProvider;
    private readonly TimeSpan pollInterval;

    /// <summary>Creates a waiter; <paramref name="pollInterval"/> bounds how late a missed file event is noticed.</summary>
    public BundleReadinessWaiter(BundleLocator locator, TimeProvider? timeProvider = null, TimeSpan? pollInterval = null)
    {
        ArgumentNullException.ThrowIfNull(locator);
        this.locator = locator;
        this.timeProvider = timeProvider ?? TimeProvider.System;
        this.pollInterval = pollInterval ?? TimeSpan.FromMilliseconds(50);
    }

    /// <summary>
    /// Returns the bundle's published path once its status is <c>ready</c>.
    /// Throws <see cref="BundleFailedException"/> when the status is <c>failed</c> and
    /// <see cref="BundleWaitTimeoutException"/> when no status appears within <paramref name="timeout"/>
    /// (<see cref="Timeout.InfiniteTimeSpan"/> waits until <paramref name="cancellationToken"/> is cancelled).
    /// </summary>
    public async Task<string> WaitForBundleAsync(string name, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var statusPath = locator.GetStatusPath(name);
        var started = timeProvider.GetTimestamp();
        using var watcher = new StatusFileWatcher(locator.StatusFolder);
        while (true)
        {
            // Attach before reading, so a file written between the read and the wait still wakes us.
            watcher.TryAttach();
            var status = TryReadStatus(statusPath);
            if (status is not null)
            {
                return status.IsReady
                    ? status.Path ?? locator.GetBundlePath(name)
                    : throw new BundleFailedException(name, statusPath, status.ErrorType, status.ErrorMessage);
            }

            var wait = pollInterval;
            if (timeout != Timeout.InfiniteTimeSpan)
            {
                var remaining = timeout - timeProvider.GetElapsedTime(started);
                if (remaining <= TimeSpan.Zero)
                {
                    throw new BundleWaitTimeoutException(name, statusPath, timeout);
                }

                wait = remaining < pollInterval ? remaining : pollInterval;
            }

            await watcher.WaitForChangeAsync(wait, timeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads a status file; null when it does not exist (yet).</summary>
    public static BundleStatus? TryReadStatus(string statusPath)
    {
        try
        {
            var bytes = File.ReadAllBytes(statusPath);
            return JsonSerializer.Deserialize(bytes, ContractJsonContext.Default.BundleStatus);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (JsonException)
        {
            // The extension writes atomically; a torn read means someone else wrote it. Read again next round.
            return null;
        }
    }
}
