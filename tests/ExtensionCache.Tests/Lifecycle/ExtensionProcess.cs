using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;

namespace ExtensionCache.Tests.Lifecycle;

/// <summary>
/// The real extension executable (the apphost the build copies next to the tests), started as Lambda would
/// start it (a <see cref="ChildProcess"/>), with its stdout collected line by line so tests can wait on log lines
/// instead of sleeping.
/// </summary>
public sealed class ExtensionProcess : IAsyncDisposable
{
    private static readonly string[] InheritedPrefixes = ["AWS_", "EXTENSION_CACHE_", "TMPDIR"];

    private readonly Channel<string> lines = Channel.CreateUnbounded<string>();
    private readonly ConcurrentQueue<string> output = new();
    private readonly ChildProcess process;

    private ExtensionProcess(ProcessStartInfo start)
    {
        process = ChildProcess.Start(start, OnLine, line => OnLine(line is null ? null : "stderr: " + line));
    }

    public static string ExecutablePath => Path.Combine(AppContext.BaseDirectory, "extension-cache");

    public int Id => process.Id;

    public IReadOnlyList<string> Output => [.. output];

    public static ExtensionProcess Start(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var start = ChildProcess.Info(ExecutablePath, arguments);

        // Only what the test sets may reach the extension: a developer's own AWS_* or EXTENSION_CACHE_* must not.
        foreach (var key in start.Environment.Keys.Where(k => InheritedPrefixes.Any(p => k.StartsWith(p, StringComparison.Ordinal))).ToList())
        {
            start.Environment.Remove(key);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return new ExtensionProcess(start);
    }

    /// <summary>Waits for a line containing <paramref name="text"/> (within <see cref="Generous.Wait"/> unless given), returning it.</summary>
    public async Task<string> WaitForLineAsync(string text, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Generous.Wait);
        try
        {
            while (true)
            {
                var line = await lines.Reader.ReadAsync(cts.Token);
                if (line.Contains(text, StringComparison.Ordinal))
                {
                    return line;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            throw new TimeoutException($"no line with '{text}'; output so far:\n{string.Join('\n', output)}", e);
        }
    }

    /// <summary>Waits for the exit (within <see cref="Generous.Wait"/> unless given: a test of a limit passes it) and returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
    {
        if (!await process.WaitForExitAsync(timeout ?? Generous.Wait))
        {
            throw new TimeoutException($"the extension did not exit; output so far:\n{string.Join('\n', output)}");
        }

        return process.ExitCode;
    }

    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    public ValueTask DisposeAsync() => process.DisposeAsync();

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        output.Enqueue(line);
        lines.Writer.TryWrite(line);
    }
}
