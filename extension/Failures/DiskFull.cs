namespace ExtensionCache.Extension.Failures;

/// <summary>
/// The one test for "no space left on device" (ENOSPC) and its mapping to <see cref="FailureKind.BundleTooLarge"/>:
/// a bundle that does not fit the cache root is too large for it, not a file-system fault.
/// </summary>
public static class DiskFull
{
    private const int Enospc = 28;

    public static bool Is(IOException ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        return ex.HResult == Enospc || ex.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The failure to report for <paramref name="ex"/>; <paramref name="message"/> says where space ran out.</summary>
    public static BundleException Failure(string message, IOException ex) => new(FailureKind.BundleTooLarge, message, ex);
}
