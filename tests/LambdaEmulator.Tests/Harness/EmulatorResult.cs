namespace LambdaEmulator.Tests.Harness;

/// <summary>What a finished one-shot run printed.</summary>
internal sealed record EmulatorResult(int ExitCode, IReadOnlyList<string> Stdout, IReadOnlyList<string> Stderr)
{
    public string Transcript => $"exit {ExitCode}\n--- stdout\n{string.Join('\n', Stdout)}\n--- stderr\n{string.Join('\n', Stderr)}";

    public IReadOnlyList<string> Matching(string prefix) => [.. Stdout.Where(l => l.StartsWith(prefix, StringComparison.Ordinal))];

    public int IndexOf(Func<string, bool> match)
    {
        for (var i = 0; i < Stdout.Count; i++)
        {
            if (match(Stdout[i]))
            {
                return i;
            }
        }

        return -1;
    }

    public int IndexOf(string contains) => IndexOf(l => l.Contains(contains, StringComparison.Ordinal));
}
