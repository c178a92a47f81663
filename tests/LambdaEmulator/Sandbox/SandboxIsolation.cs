namespace LambdaEmulator.Sandbox;

/// <summary>
/// How a sandbox command is wrapped: as is, or under bubblewrap with the environment's folders mounted at
/// /opt, /var/task (read-only, as in Lambda) and /tmp; the rest of the machine read-only, the network shared
/// so that 127.0.0.1 reaches the APIs.
/// </summary>
public sealed class SandboxIsolation(ExecutionEnvironment? environment)
{
    public bool Enabled => environment is not null;

    public IReadOnlyList<string> Wrap(IReadOnlyList<string> command, string workingDirectory)
    {
        if (environment is null)
        {
            return command;
        }

        var arguments = new List<string> { "bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc" };
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
            "--die-with-parent", "--chdir", workingDirectory, "--",
        ]);
        arguments.AddRange(command);
        return arguments;
    }
}
