using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;

namespace ExtensionCache.Tests.Lifecycle;

/// <summary>
/// The real extension executable (the apphost the build copies next to the tests), started as Lambda would
/// start it, with its stdout collected line by line so tests can wait on log lines instead of sleeping.
/// </summary>
public sealed class ExtensionProcess : IAsyncDisposable
{
    private static readonly string[] InheritedPrefixes = ["AWS_", "EXTENSION_CACHE_", "TMPDIR"];

    private readonly Process process;
    private readonly Channel<string> lines = Channel.CreateUnbounded<string>();
    private readonly ConcurrentQueue<string> output = new();
    private readonly TaskCompletionSource outputClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ExtensionProcess(Process process)
    {
        this.process = process;
    }

    public static string ExecutablePath => Path.Combine(AppContext.BaseDirectory, "extension-cache");

    public int Id => process.Id;

    public IReadOnlyList<string> Output => [.. output];

    public static ExtensionProcess Start(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo(ExecutablePath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Only what the test sets may reach the extension: a developer's own AWS_* or EXTENSION_CACHE_* must not.
        foreach (var key in start.Environment.Keys.Where(k => InheritedPrefixes.Any(p => k.StartsWith(p, StringComparison.Ordinal))).ToList())
        {
            start.Environment.Remove(key);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var extension = new ExtensionProcess(process);
        process.OutputDataReceived += (_, e) => extension.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => extension.OnLine(e.Data is null ? null : "stderr: " + e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return extension;
    }

    /// <summary>Waits for a line containing <paramref name="text"/>, returning it.</summary>
    public async Task<string> WaitForLineAsync(string text, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
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

    public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException e)
        {
            throw new TimeoutException($"the extension did not exit; output so far:\n{string.Join('\n', output)}", e);
        }

        return process.ExitCode;
    }

    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

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
