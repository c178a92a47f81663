namespace ExtensionCache.Extension.Configuration;

/// <summary>
/// How Lambda initialises this execution environment (<c>AWS_LAMBDA_INITIALIZATION_TYPE</c>, set by Lambda). It decides
/// the INIT limit (10 s on demand, longer for the others), whether INVOKE can be registered (not on Managed Instances)
/// and whether the sandbox is frozen between invokes (not on Managed Instances).
/// </summary>
public enum InitializationType
{
    OnDemand,
    ProvisionedConcurrency,
    SnapStart,
    ManagedInstances,
}

/// <summary>The values Lambda sets in <c>AWS_LAMBDA_INITIALIZATION_TYPE</c>.</summary>
public static class InitializationTypes
{
    public const string Variable = "AWS_LAMBDA_INITIALIZATION_TYPE";

    /// <summary>On-demand INIT's limit; a timed-out INIT is retried at the first invoke under the function timeout.</summary>
    public static readonly TimeSpan OnDemandInitLimit = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The value Lambda sets, read leniently (case and spaces ignored); unset or unknown is on demand, the environment
    /// that gives INIT the least time, since the variable is Lambda's, not a setting to refuse.
    /// </summary>
    public static InitializationType Parse(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        "provisioned-concurrency" => InitializationType.ProvisionedConcurrency,
        "snap-start" => InitializationType.SnapStart,
        "lambda-managed-instances" => InitializationType.ManagedInstances,
        _ => InitializationType.OnDemand,
    };

    public static string Name(InitializationType type) => type switch
    {
        InitializationType.ProvisionedConcurrency => "provisioned-concurrency",
        InitializationType.SnapStart => "snap-start",
        InitializationType.ManagedInstances => "lambda-managed-instances",
        _ => "on-demand",
    };
}
