using LambdaEmulator.Cli;
using LambdaEmulator.Logs;

namespace LambdaEmulator.Sandbox;

/// <summary>
/// Every process of the execution environment: starts the extensions and the runtime with the environment Lambda
/// gives them, freezes and thaws them as a whole, and stops them at SHUTDOWN.
/// </summary>
public sealed class SandboxProcesses(EmulatorOptions options, ExecutionEnvironment environment, LambdaLog log, TimeProvider time)
{
    private readonly List<SandboxProcess> _processes = [];
    private readonly Freezer _freezer = new(options.Freeze);
    private readonly SandboxPaths _paths = SandboxPaths.For(environment, options.Isolate);
    private readonly SandboxIsolation _isolation = CreateIsolation(options, environment, log);
    private int[] _groups = [];

    /// <summary>host:port of the Runtime/Extensions/Telemetry API listener; set before the first start.</summary>
    public string RuntimeApi { get; set; } = "";

    /// <summary>SnapStart with credentials: AWS_CONTAINER_AUTHORIZATION_TOKEN.</summary>
    public string? CredentialsToken { get; set; }

    public bool IsEmpty => _processes.Count == 0;

    /// <summary>Process group ids, safe to read from the memory sampler's thread.</summary>
    public IReadOnlyCollection<int> Groups => Volatile.Read(ref _groups);

    public IReadOnlyList<string> ExtensionFiles() =>
        Directory.Exists(environment.ExtensionsFolder)
            ? [.. Directory.EnumerateFiles(environment.ExtensionsFolder).Order(StringComparer.Ordinal)]
            : [];

    /// <summary>Starts /opt/extensions/NAME; false (a launch error) when the file lacks the exec bit.</summary>
    public bool TryStartExtension(string file, Action<SandboxProcess, int> exited)
    {
        var name = Path.GetFileName(file);
        if ((File.GetUnixFileMode(file) & UnixFileMode.UserExecute) == 0)
        {
            return false;
        }

        var variables = new SandboxVariables(options, _paths, RuntimeApi, CredentialsToken).ForExtension();
        var command = Path.Combine(_paths.Opt, "extensions", name);
        Track(SandboxProcess.Start(name, LogSource.Extension, [command], variables, _paths.Task, _isolation, log), exited);
        return true;
    }

    /// <summary>The command after --, else bootstrap in /var/task, else in /opt; null when there is none.</summary>
    public IReadOnlyList<string>? RuntimeCommand() =>
        options.Bootstrap.Count > 0 ? options.Bootstrap
        : File.Exists(Path.Combine(environment.Task, "bootstrap")) ? [Path.Combine(_paths.Task, "bootstrap")]
        : File.Exists(Path.Combine(environment.Opt, "bootstrap")) ? [Path.Combine(_paths.Opt, "bootstrap")]
        : null;

    /// <summary>Starts the runtime, through AWS_LAMBDA_EXEC_WRAPPER when the function sets it and the runtime honours it.</summary>
    public void StartRuntime(IReadOnlyList<string> command, Action<SandboxProcess, int> exited)
    {
        var variables = new SandboxVariables(options, _paths, RuntimeApi, CredentialsToken).ForRuntime();
        if (ExecWrapper.For(options.Runtime, variables) is { } wrapper)
        {
            log.Debug($"runtime starts through {ExecWrapper.Variable}={wrapper}");
            command = ExecWrapper.Wrap(wrapper, command);
        }
        else if (variables.ContainsKey(ExecWrapper.Variable))
        {
            log.Debug($"{ExecWrapper.Variable} ignored: --runtime {options.Runtime} is an OS-only runtime, which starts bootstrap directly");
        }

        Track(SandboxProcess.Start("runtime", LogSource.Runtime, command, variables, _paths.Task, _isolation, log), exited);
    }

    public void Freeze() => _freezer.Freeze(_processes);

    public void Thaw() => _freezer.Thaw(_processes);

    /// <summary>SnapStart's snapshot: every process group stopped (SIGSTOP), whatever --no-freeze says, until <see cref="Thaw"/>.</summary>
    public void Snapshot()
    {
        foreach (var process in _processes)
        {
            process.Signal(ProcessGroupSignals.SigStop);
        }
    }

    /// <summary>
    /// SHUTDOWN's signals: SIGTERM to the runtime (SIGKILL without a budget), SIGKILL to the extensions that get no
    /// SHUTDOWN event, then SIGKILL to whatever still runs at the deadline, background children included.
    /// </summary>
    public async Task StopAsync(DateTimeOffset deadline, IReadOnlySet<string> notifiedExtensions, CancellationToken cancellationToken)
    {
        Thaw();
        var budget = deadline - time.GetUtcNow();
        foreach (var process in _processes.Where(p => !p.HasExited))
        {
            if (process.Source == LogSource.Runtime)
            {
                process.Signal(budget > TimeSpan.Zero ? ProcessGroupSignals.SigTerm : ProcessGroupSignals.SigKill);
            }
            else if (!notifiedExtensions.Contains(process.Name))
            {
                process.Signal(ProcessGroupSignals.SigKill);
            }
        }

        using var remaining = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        remaining.CancelAfter(budget > TimeSpan.Zero ? budget : TimeSpan.Zero);
        try
        {
            await Task.WhenAll(_processes.Select(p => p.Exited)).WaitAsync(remaining.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (remaining.IsCancellationRequested)
        {
            foreach (var process in _processes.Where(p => !p.HasExited))
            {
                log.Debug($"SHUTDOWN deadline reached: SIGKILL {process.Name} (pid {process.Pid})");
            }
        }

        foreach (var process in _processes)
        {
            process.Signal(ProcessGroupSignals.SigKill);
        }

        await Task.WhenAll(_processes.Select(p => p.Exited)).WaitAsync(TimeSpan.FromSeconds(5), time, CancellationToken.None).ConfigureAwait(false);
        foreach (var process in _processes)
        {
            process.Dispose();
        }

        _processes.Clear();
        Volatile.Write(ref _groups, []);
    }

    private static SandboxIsolation CreateIsolation(EmulatorOptions options, ExecutionEnvironment environment, LambdaLog log)
    {
        var hosts = SandboxHosts.Write(environment.Root);
        if (hosts is null)
        {
            log.Debug($"this machine has no /etc/hosts: {SandboxHosts.HostName} does not resolve in the sandbox");
            return new SandboxIsolation(environment, options.Isolate, null, bwrapWorks: options.Isolate);
        }

        // Under --isolate bwrap must work anyway; without it, probe once and fall back to running commands as is.
        var bwrapWorks = options.Isolate || SandboxIsolation.BwrapWorks();
        if (!bwrapWorks)
        {
            log.Debug($"bwrap is missing or cannot run here: {SandboxHosts.HostName} does not resolve in the sandbox (apt-get install -y bubblewrap)");
        }

        return new SandboxIsolation(environment, options.Isolate, hosts, bwrapWorks);
    }

    private void Track(SandboxProcess process, Action<SandboxProcess, int> exited)
    {
        _processes.Add(process);
        Volatile.Write(ref _groups, [.. _processes.Select(p => p.ProcessGroup)]);
        log.Debug($"started {process.Name} (pid {process.Pid})");
        _ = WatchAsync(process, exited);
    }

    private async Task WatchAsync(SandboxProcess process, Action<SandboxProcess, int> exited)
    {
        var exitCode = await process.Exited.ConfigureAwait(false);
        log.Debug($"{process.Name} (pid {process.Pid}) exited with status {exitCode}");
        exited(process, exitCode);
    }
}
