using System.Diagnostics;

namespace ExtensionCache.Benchmarks.Processes;

/// <summary>A child process with captured output that is always killed (whole tree) when disposed.</summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ChildProcess(Process process, OutputTail output)
    {
        _process = process;
        Output = output;
    }

    public OutputTail Output { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static ChildProcess Start(ProcessStartInfo startInfo)
    {
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        startInfo.UseShellExecute = false;
        var output = new OutputTail();
        var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => output.Append(e.Data);
        process.ErrorDataReceived += (_, e) => output.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ChildProcess(process, output);
    }

    public static ProcessStartInfo Info(string fileName, params string[] arguments)
    {
        var info = new ProcessStartInfo(fileName);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }

    /// <summary>Runs to completion; throws with the output when it fails or outlives <paramref name="timeout"/>.</summary>
    public static async Task RunAsync(ProcessStartInfo startInfo, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await using var child = Start(startInfo);
        if (!await child.WaitForExitAsync(timeout, cancellationToken).ConfigureAwait(false))
        {
            throw new TimeoutException($"{startInfo.FileName} did not finish within {timeout}:\n{child.Output}");
        }

        if (child.ExitCode != 0)
        {
            throw new InvalidOperationException($"{startInfo.FileName} {string.Join(' ', startInfo.ArgumentList)} exited with {child.ExitCode}:\n{child.Output}");
        }
    }

    /// <summary>True if the process exited within <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
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
}
