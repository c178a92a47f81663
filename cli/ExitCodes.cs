namespace ExtensionCache.Cli;

/// <summary>The tool's exit codes, one meaning each.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The tree or archive holds something the extension would refuse.</summary>
    public const int Refused = 1;

    /// <summary>A bad argument: a missing folder, an unreadable file, a malformed URI.</summary>
    public const int BadInput = 2;

    /// <summary>S3 or HTTP said no: no credentials, no such bucket, access denied, unreachable endpoint.</summary>
    public const int RemoteFailed = 3;

    /// <summary>Cancelled (Ctrl+C).</summary>
    public const int Cancelled = 130;
}
