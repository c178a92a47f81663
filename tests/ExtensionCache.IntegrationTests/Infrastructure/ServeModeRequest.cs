namespace ExtensionCache.IntegrationTests.Infrastructure;

/// <summary>One execution environment of the LambdaEmulator in serve mode: the test sends the invokes over HTTP.</summary>
public sealed record ServeModeRequest
{
    public required IReadOnlyList<string> Layers { get; init; }

    public required string Function { get; init; }

    public required string TmpDirectory { get; init; }

    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// <c>--timeout</c>: the function timeout, which also bounds an INIT retried inside an invoke;
    /// <see cref="Generous.FunctionTimeoutSeconds"/> unless the test is about it.
    /// </summary>
    public double TimeoutSeconds { get; init; } = Generous.FunctionTimeoutSeconds;

    /// <summary>
    /// <c>--init-timeout</c>: <see cref="Generous.InitTimeoutSeconds"/> unless the test is about it; null keeps the
    /// emulator's default (10 s, as Lambda on demand).
    /// </summary>
    public double? InitTimeoutSeconds { get; init; } = Generous.InitTimeoutSeconds;

    /// <summary>More emulator options, e.g. <c>--managed-instances</c>, <c>--concurrency 8</c>.</summary>
    public IReadOnlyList<string> Options { get; init; } = [];

    /// <summary>The runtime command after <c>--</c>; empty means the function's <c>bootstrap</c>.</summary>
    public IReadOnlyList<string> RuntimeCommand { get; init; } = [];
}
