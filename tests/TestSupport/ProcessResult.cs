namespace ExtensionCache.TestSupport;

/// <summary>What a finished process printed (stdout and stderr interleaved in arrival order) and its exit code.</summary>
public sealed record ProcessResult(string Command, int ExitCode, IReadOnlyList<string> Lines, TimeSpan Elapsed)
{
    public string Output => string.Join('\n', Lines);

    /// <summary>Throws with the command and its output unless it exited with 0.</summary>
    public ProcessResult EnsureSucceeded() => ExitCode == 0
        ? this
        : throw new InvalidOperationException($"{Command} exited with {ExitCode}:\n{Output}");
}
