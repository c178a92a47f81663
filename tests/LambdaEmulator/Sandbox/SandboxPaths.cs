namespace LambdaEmulator.Sandbox;

/// <summary>
/// The sandbox folders as the sandbox's processes see them: the host folders without --isolate, the real
/// /opt, /var/task and /tmp under bubblewrap (where TMPDIR stays unset, as in Lambda).
/// </summary>
public sealed record SandboxPaths(string Opt, string Task, string Tmp, string? TmpVariable)
{
    public static SandboxPaths For(ExecutionEnvironment environment, bool isolate) =>
        isolate
            ? new SandboxPaths("/opt", "/var/task", "/tmp", null)
            : new SandboxPaths(environment.Opt, environment.Task, environment.Tmp, environment.Tmp);
}
