namespace LambdaEmulator.Cli;

/// <summary>Everything the command line decides; defaults mirror an on-demand Lambda function.</summary>
public sealed record EmulatorOptions
{
    public IReadOnlyList<string> Layers { get; init; } = [];
    public string? Function { get; init; }
    public string Handler { get; init; } = "handler";
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
    public string? Tmp { get; init; }
    public int MemoryMb { get; init; } = 128;
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(3);
    public TimeSpan InitTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public IReadOnlyList<string> Invokes { get; init; } = [];
    public int Port { get; init; } = 9000;
    public bool Isolate { get; init; }
    public bool Freeze { get; init; } = true;
    public string FunctionName { get; init; } = "function";
    public IReadOnlyList<string> Bootstrap { get; init; } = [];

    public bool OneShot => Invokes.Count > 0;
}
