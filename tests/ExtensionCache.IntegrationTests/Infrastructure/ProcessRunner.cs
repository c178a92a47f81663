using System.Diagnostics;

namespace ExtensionCache.IntegrationTests.Infrastructure;

/// <summary>
/// Runs a process to completion, collecting its output lines; on timeout or cancellation it kills the whole
/// process tree so no sandbox process outlives a test.
/// </summary>
public static class ProcessRunner
{
    public static async Task<ProcessResult> RunAsync(
        ProcessStartInfo startInfo, TimeSpan timeout, Action<string>? onLine = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(startInfo);
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        startInfo.RedirectStandardInput = true;
        startInfo.UseShellExecute = false;

        var lines = new List<string>();
        void Collect(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (lines)
            {
                lines.Add(line);
            }

            onLine?.Invoke(line);
        }

        var stopwatch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => Collect(e.Data);
        process.ErrorDataReceived += (_, e) => Collect(e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            string output;
            lock (lines)
            {
                output = string.Join('\n', lines);
            }

            throw new TimeoutException(
                $"{startInfo.FileName} {string.Join(' ', startInfo.ArgumentList)} did not finish within {timeout}; output:\n{output}");
        }

        // WaitForExitAsync returns after the redirected streams reached end of file, so every line is in.
        lock (lines)
        {
            return new ProcessResult(process.ExitCode, [.. lines], stopwatch.Elapsed);
        }
    }
}
