namespace ExtensionCache.Extension.Configuration;

/// <summary>What a failed bundle does to INIT (<c>EXTENSION_CACHE_ON_ERROR</c>).</summary>
public enum ErrorPolicy
{
    /// <summary>Report through init/error so INIT fails and Lambda retries it.</summary>
    Fail,

    /// <summary>Log, leave the failed status file for the function, and carry on.</summary>
    Continue,
}
