namespace ExtensionCache.Extension.Lifecycle;

/// <summary>Process exit codes (also listed by <c>--help</c>).</summary>
public static class ExitCodes
{
    /// <summary>SHUTDOWN received, SIGTERM, <c>--help</c> or <c>--version</c>.</summary>
    public const int Success = 0;

    /// <summary>INIT failed and was reported through init/error (bad configuration, or a bundle with ON_ERROR=fail).</summary>
    public const int InitFailed = 1;

    /// <summary>Not started by Lambda (no <c>AWS_LAMBDA_RUNTIME_API</c>) or an unknown command-line argument.</summary>
    public const int Usage = 2;

    /// <summary>The Extensions API refused a call or could not be reached.</summary>
    public const int ApiFailed = 3;
}
