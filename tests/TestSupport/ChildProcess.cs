using System.Diagnostics;

namespace ExtensionCache.TestSupport;

/// <summary>
/// A child process whose stdout and stderr are read line by line: every line is kept (both streams, in arrival
/// order) and handed to the optional callbacks as it arrives, then the callback gets null when its stream ends.
/// If the caller redirected stdin, it is closed at once (the child reads end of file). Disposing kills the whole
/// process tree if it is still running, so no test or benchmark leaves processes behind.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private static readonly TimeSpan ReapBound = TimeSpan.FromSeconds(10);

    private readonly Process _process;
    private readonly Lock _gate = new();
    private readonly List<string> _lines = [];
    private readonly Action<string?>? _onStdout;
    private readonly Action<string?>? _onStderr;

    private ChildProcess(Process process, Action<string?>? onStdout, Action<string?>? onStderr)
    {
        _process = process;
        _onStdout = onStdout;
        _onStderr = onStderr;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Every line printed so far, stdout and stderr interleaved in arrival order (a copy).</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_gate)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary><see cref="Lines"/> joined with newlines, for failure messages.</summary>
    public string Output => string.Join('\n', Lines);

    public static ProcessStartInfo Info(string fileName, params IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(fileName);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }

    public static ChildProcess Start(ProcessStartInfo startInfo, Action<string?>? onStdout = null, Action<string?>? onStderr = null)
    {
        ArgumentNullException.ThrowIfNull(startInfo);
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        startInfo.UseShellExecute = false;
        var child = new ChildProcess(new Process { StartInfo = startInfo }, onStdout, onStderr);
        child._process.OutputDataReceived += (_, e) => child.OnLine(e.Data, child._onStdout);
        child._process.ErrorDataReceived += (_, e) => child.OnLine(e.Data, child._onStderr);
        child._process.Start();
        if (startInfo.RedirectStandardInput)
        {
            child._process.StandardInput.Close();
        }

        child._process.BeginOutputReadLine();
        child._process.BeginErrorReadLine();
        return child;
    }

    /// <summary>
    /// Runs to completion with stdin closed, every line also handed to <paramref name="onLine"/>; if it outlives
    /// <paramref name="timeout"/> its tree is killed and a <see cref="TimeoutException"/> carries its output.
    /// </summary>
    public static async Task<ProcessResult> RunAsync(
        ProcessStartInfo startInfo, TimeSpan timeout, Action<string>? onLine = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(startInfo);
        startInfo.RedirectStandardInput = true;
        void Echo(string? line)
        {
            if (line is not null)
            {
                onLine?.Invoke(line);
            }
        }

        var stopwatch = Stopwatch.StartNew();
        await using var child = Start(startInfo, Echo, Echo);
        if (!await child.WaitForExitAsync(timeout, cancellationToken).ConfigureAwait(false))
        {
            child.Kill();
            await child._process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            throw new TimeoutException($"{Describe(startInfo)} did not finish within {timeout}; output:\n{child.Output}");
        }

        return new ProcessResult(Describe(startInfo), child.ExitCode, child.Lines, stopwatch.Elapsed);
    }

    /// <summary>
    /// True once the process exited and all its output was read; false if it still runs after
    /// <paramref name="timeout"/> (it is left running).
    /// </summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            // Returns after the redirected streams reached end of file, so every line is in.
            await _process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Kills the process and everything it started.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                Kill();
                using var bound = new CancellationTokenSource(ReapBound);
                await _process.WaitForExitAsync(bound.Token).ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone: nothing left to kill.
        }
        catch (OperationCanceledException)
        {
            // Killed but not reaped within the bound; the OS reaps it when we exit.
        }

        _process.Dispose();
    }

    private static string Describe(ProcessStartInfo startInfo) => $"{startInfo.FileName} {string.Join(' ', startInfo.ArgumentList)}";

    private void OnLine(string? line, Action<string?>? callback)
    {
        if (line is not null)
        {
            lock (_gate)
            {
                _lines.Add(line);
            }
        }

        callback?.Invoke(line);
    }
}
