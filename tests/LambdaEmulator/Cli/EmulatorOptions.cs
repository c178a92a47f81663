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

    /// <summary>Lambda Managed Instances mode (<c>--managed-instances</c>); other parts check it, e.g. the Logs API.</summary>
    public bool ManagedInstances { get; init; }

    /// <summary>
    /// SnapStart mode (<c>--snapstart</c>): INIT, a snapshot (every sandbox process stopped), and a restore at the first
    /// invoke; credentials only through the container credentials endpoint.
    /// </summary>
    public bool SnapStart { get; init; }

    /// <summary>How long each credentials session the container credentials endpoint serves lasts (SnapStart).</summary>
    public TimeSpan CredentialsLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Invokes the execution environment takes at once.</summary>
    public int Concurrency { get; init; } = 1;
    public string FunctionName { get; init; } = "function";

    /// <summary>
    /// The Lambda runtime identifier the runtime command plays (<c>--runtime</c>, e.g. python3.12): sets
    /// AWS_EXECUTION_ENV; an OS-only one (provided*) ignores AWS_LAMBDA_EXEC_WRAPPER. Null: unnamed, the wrapper honoured.
    /// </summary>
    public string? Runtime { get; init; }
    public IReadOnlyList<string> Bootstrap { get; init; } = [];

    /// <summary>
    /// --concurrency default with --managed-instances: AWS's default for Python (16 per vCPU), the runtime whose
    /// workers are processes as in the tests here.
    /// </summary>
    public const int ManagedInstancesConcurrency = 16;

    public bool OneShot => Invokes.Count > 0;

    /// <summary>AWS_LAMBDA_INITIALIZATION_TYPE and the telemetry events' initializationType.</summary>
    public string InitializationType => ManagedInstances ? "lambda-managed-instances" : SnapStart ? "snap-start" : "on-demand";

    /// <summary>The version invoked: SnapStart runs on published versions only (<c>1</c> here), otherwise <c>$LATEST</c>.</summary>
    public string FunctionVersion => SnapStart ? "1" : "$LATEST";
}
