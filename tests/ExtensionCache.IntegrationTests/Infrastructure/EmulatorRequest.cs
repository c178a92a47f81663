namespace ExtensionCache.IntegrationTests.Infrastructure;

/// <summary>One one-shot run of the LambdaEmulator: an execution environment, its invokes, then SHUTDOWN.</summary>
public sealed record EmulatorRequest
{
    public required IReadOnlyList<string> Layers { get; init; }

    public required string Function { get; init; }

    public required string TmpDirectory { get; init; }

    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<string> Invokes { get; init; } = ["{}"];

    public bool Isolate { get; init; }

    /// <summary>The emulator's <c>--handler</c> (_HANDLER), or null for its default.</summary>
    public string? Handler { get; init; }

    /// <summary>The emulator's <c>--runtime</c> (the Lambda runtime identifier the command plays), or null.</summary>
    public string? Runtime { get; init; }

    /// <summary>The runtime command after <c>--</c>; empty means the function's <c>bootstrap</c>.</summary>
    public IReadOnlyList<string> RuntimeCommand { get; init; } = [];
}
