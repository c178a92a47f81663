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

    private readonly bool _monitorLeads;

    private SandboxProcess(string name, LogSource source, Process process, bool monitorLeads)
    {
        Name = name;
        Source = source;
        _process = process;
        _monitorLeads = monitorLeads;
        Pid = monitorLeads ? CommandPid(process.Id) : process.Id;
        Exited = WaitAsync();
    }

    public string Name { get; }

    public LogSource Source { get; }

    /// <summary>The process group id: the pid of what setsid started (the command, or bubblewrap's monitor).</summary>
    public int ProcessGroup => _process.Id;

    /// <summary>The command's own pid: bubblewrap's child when wrapped (what /proc shows as the extension or runtime).</summary>
    public int Pid { get; }

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
            WorkingDirectory = isolation.Isolated ? "/" : workingDirectory,
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
        return new SandboxProcess(name, source, process, isolation.Wrapped);
    }

    /// <summary>
    /// Signals the whole group. SIGTERM spares bubblewrap's monitor: killed by it, the monitor would take the
    /// command down at once (--die-with-parent) and report 143 instead of the command's own exit status.
    /// </summary>
    public bool Signal(int signal) =>
        _monitorLeads && signal == ProcessGroupSignals.SigTerm
            ? ProcessGroupSignals.SendToMembersExcept(ProcessGroup, ProcessGroup, signal)
            : ProcessGroupSignals.Send(ProcessGroup, signal);

    public void Dispose() => _process.Dispose();

    /// <summary>bubblewrap's child, from /proc (the monitor forks it at once); the monitor's pid if it never shows.</summary>
    private static int CommandPid(int monitor)
    {
        var children = $"/proc/{monitor}/task/{monitor}/children";
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(2))
        {
            try
            {
                if (File.ReadAllText(children).Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() is { } first)
                {
                    return int.Parse(first, System.Globalization.CultureInfo.InvariantCulture);
                }
            }
            catch (IOException)
            {
                break; // The monitor already ended.
            }

            Thread.Sleep(2);
        }

        return monitor;
    }

    private async Task<int> WaitAsync()
    {
        // Only the leader's exit counts; a background child holding the pipes open must not delay it.
        await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        return _process.ExitCode;
    }
}
