namespace ExtensionCache.Client.Versions;

/// <summary>
/// Calls back when a bundle's published version changes, by reading the version every <c>interval</c> (a
/// readlink and a small file; no file system watcher, which would miss a symlink swap in some environments).
/// The version seen at start is not reported. Dispose to stop.
/// </summary>
public sealed class BundleVersionWatcher : IDisposable
{
    private readonly Func<BundleVersion?> read;
    private readonly Action<BundleVersion> onChange;
    private readonly ITimer timer;
    private readonly Lock gate = new();
    private string? token;

    internal BundleVersionWatcher(Func<BundleVersion?> read, Action<BundleVersion> onChange, TimeSpan interval, TimeProvider time)
    {
        this.read = read;
        this.onChange = onChange;
        token = read()?.Token;
        timer = time.CreateTimer(_ => Poll(), null, interval, interval);
    }

    /// <summary>Reads the version now and calls back if it changed since the last read.</summary>
    public void Poll()
    {
        BundleVersion? current;
        lock (gate)
        {
            current = read();
            if (current is null || current.Token == token)
            {
                return;
            }

            token = current.Token;
        }

        onChange(current);
    }

    /// <summary>Stops watching.</summary>
    public void Dispose() => timer.Dispose();
}
