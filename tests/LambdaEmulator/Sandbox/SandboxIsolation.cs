namespace LambdaEmulator.Sandbox;

/// <summary>
/// How a sandbox command is wrapped: as is, or under bubblewrap with the environment's folders mounted at
/// /opt, /var/task (read-only, as in Lambda) and /tmp (the rest of the machine read-only, the network shared so 127.0.0.1 reaches the APIs).
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

        return
        [
            "bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
            "--ro-bind", environment.Opt, "/opt",
            "--ro-bind", environment.Task, "/var/task",
            "--bind", environment.Tmp, "/tmp",
            "--die-with-parent", "--chdir", workingDirectory, "--",
            .. command,
        ];
    }
}
