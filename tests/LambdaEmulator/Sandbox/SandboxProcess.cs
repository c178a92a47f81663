using System.Diagnostics;
using LambdaEmulator.Logs;

namespace LambdaEmulator.Sandbox;

/// <summary>
/// One process of the sandbox (the runtime or an extension), started through setsid so that it leads its own
/// process group: freezing, SIGTERM and SIGKILL then reach its children too. Output lines go to the log as they arrive.
/// </summary>
public sealed class SandboxProcess : IDisposable
{
    private readonly Process _process;

    private SandboxProcess(string name, LogSource source, Process process)
    {
        Name = name;
        Source = source;
        _process = process;
        Exited = WaitAsync();
    }

    public string Name { get; }

    public LogSource Source { get; }

    /// <summary>The pid, which is also the process group id (setsid).</summary>
    public int ProcessGroup => _process.Id;

    /// <summary>Completes with the exit code when the process (the group leader) ends.</summary>
    public Task<int> Exited { get; }

    public bool HasExited => Exited.IsCompleted;

    public static SandboxProcess Start(
        string name, LogSource source, IReadOnlyList<string> command, IReadOnlyDictionary<string, string> variables,
        string workingDirectory, SandboxIsolation isolation, LambdaLog log)
    {
        var info = new ProcessStartInfo("setsid")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = isolation.Enabled ? "/" : workingDirectory,
        };
        foreach (var argument in isolation.Wrap(command, workingDirectory))
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment.Clear();
        foreach (var (key, value) in variables)
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                log.ProcessLine(source, line);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                log.ProcessLine(source, line);
            }
        };
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new SandboxProcess(name, source, process);
    }

    public bool Signal(int signal) => ProcessGroupSignals.Send(ProcessGroup, signal);

    public void Dispose() => _process.Dispose();

    private async Task<int> WaitAsync()
    {
        // Only the leader's exit counts; a background child holding the pipes open must not delay it.
        await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        return _process.ExitCode;
    }
}
