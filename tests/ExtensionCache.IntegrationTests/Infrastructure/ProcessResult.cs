namespace ExtensionCache.IntegrationTests.Infrastructure;

/// <summary>What a finished process printed (stdout and stderr interleaved in arrival order) and its exit code.</summary>
public sealed record ProcessResult(int ExitCode, IReadOnlyList<string> Lines, TimeSpan Elapsed)
{
    public string Output => string.Join('\n', Lines);
}
