namespace LambdaEmulator.Sandbox;

/// <summary>
/// How a sandbox command is wrapped in bubblewrap. With --isolate: the environment's folders mounted at /opt,
/// /var/task (read-only, as in Lambda) and /tmp, the rest of the machine read-only, the network shared so that
/// 127.0.0.1 reaches the APIs. Without it: the whole machine as is (<c>--dev-bind / /</c>), only /etc/hosts replaced
/// so that sandbox.localdomain resolves. Either way bwrap stays as the command's parent (a monitor that exits with
/// the command's status) in the same process group; where bwrap cannot run, non-isolated commands run as is.
/// </summary>
public sealed class SandboxIsolation(ExecutionEnvironment environment, bool isolate, string? hostsFile, bool bwrapWorks)
{
    /// <summary>True under --isolate: the processes see /opt, /var/task and /tmp at their real paths.</summary>
    public bool Isolated => isolate;

    /// <summary>True when commands run under bubblewrap (whose monitor process then leads the process group).</summary>
    public bool Wrapped => isolate || (bwrapWorks && hostsFile is not null);

    /// <summary>
    /// Whether bwrap is on PATH and can make a mount namespace here (a non-root user needs user namespaces for it):
    /// one probe run, so that a machine without it still runs non-isolated sandboxes, only without the host name.
    /// </summary>
    public static bool BwrapWorks()
    {
        if (!(System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(folder => File.Exists(Path.Combine(folder, "bwrap"))))
        {
            return false;
        }

        var probe = new System.Diagnostics.ProcessStartInfo("bwrap", ["--dev-bind", "/", "/", "--", "true"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = System.Diagnostics.Process.Start(probe)!;
        if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            process.Kill();
            return false;
        }

        return process.ExitCode == 0;
    }

    public IReadOnlyList<string> Wrap(IReadOnlyList<string> command, string workingDirectory)
    {
        if (!Wrapped)
        {
            return command;
        }

        var arguments = new List<string> { "bwrap" };
        if (isolate)
        {
            arguments.AddRange(["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]);
            if (!Directory.Exists("/var/task"))
            {
                // bwrap cannot create /var/task on a read-only root: rebuild /var on a tmpfs from the host's entries.
                arguments.AddRange(["--tmpfs", "/var"]);
                foreach (var entry in new DirectoryInfo("/var").EnumerateFileSystemInfos())
                {
                    arguments.AddRange(entry.LinkTarget is { } target
                        ? ["--symlink", target, entry.FullName]
                        : ["--ro-bind", entry.FullName, entry.FullName]);
                }
            }

            arguments.AddRange(
            [
                "--ro-bind", environment.Opt, "/opt",
                "--ro-bind", environment.Task, "/var/task",
                "--bind", environment.Tmp, "/tmp",
            ]);
        }
        else
        {
            // Everything as is, devices included (a plain --bind makes /dev/null unusable).
            arguments.AddRange(["--dev-bind", "/", "/"]);
        }

        if (hostsFile is not null)
        {
            arguments.AddRange(["--ro-bind", hostsFile, "/etc/hosts"]);
        }

        arguments.AddRange(["--die-with-parent", "--chdir", workingDirectory, "--"]);
        arguments.AddRange(command);
        return arguments;
    }
}
