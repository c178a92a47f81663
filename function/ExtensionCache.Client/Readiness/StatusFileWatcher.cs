using ExtensionCache.Contract;

namespace ExtensionCache.Client.Readiness;

/// <summary>
/// Wakes a waiter when something changes in the status folder. The folder may not exist yet when waiting starts
/// (the extension creates it), so the watcher is attached lazily and polling covers the gap and any missed event.
/// </summary>
internal sealed class StatusFileWatcher(string folder) : IDisposable
{
    private readonly SemaphoreSlim changed = new(0);
    private FileSystemWatcher? watcher;

    public bool IsWatching => watcher is not null;

    public void TryAttach()
    {
        if (watcher is not null || !Directory.Exists(folder))
        {
            return;
        }

        try
        {
            var created = new FileSystemWatcher(folder, "*" + CacheLayout.StatusFileExtension)
            {
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size,
            };
            created.Created += OnChanged;
            created.Renamed += OnChanged;
            created.Changed += OnChanged;
            created.EnableRaisingEvents = true;
            watcher = created;
        }
        catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException)
        {
            // inotify limits or a folder removed in between: polling still finds the file.
        }
    }

    /// <summary>Completes when a change is seen or <paramref name="pollInterval"/> passes, whichever is first.</summary>
    public async Task WaitForChangeAsync(TimeSpan pollInterval, TimeProvider timeProvider, CancellationToken token)
    {
        using var iteration = CancellationTokenSource.CreateLinkedTokenSource(token);
        var woke = changed.WaitAsync(iteration.Token);
        var tick = Task.Delay(pollInterval, timeProvider, iteration.Token);
        await Task.WhenAny(woke, tick).ConfigureAwait(false);
        await iteration.CancelAsync().ConfigureAwait(false);
        token.ThrowIfCancellationRequested();
    }

    public void Dispose()
    {
        watcher?.Dispose();
        changed.Dispose();
    }

    private void OnChanged(object sender, FileSystemEventArgs e)
    {
        // Bounded so a burst of events cannot grow the count without limit.
        if (changed.CurrentCount < 1)
        {
            changed.Release();
        }
    }
}
