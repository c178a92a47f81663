namespace ExtensionCache.Extension.Failures;

/// <summary>
/// The one test for "no space left on device" (ENOSPC) and its mapping to <see cref="FailureKind.BundleTooLarge"/>:
/// a bundle that does not fit the cache root is too large for it, not a file-system fault.
/// </summary>
public static class DiskFull
{
    private const int Enospc = 28;

    /// <summary>
    /// True when <paramref name="ex"/> carries ENOSPC: .NET's file APIs on Unix, and the extension's own system calls
    /// (<c>PosixFileSystem</c>), put the errno in HResult.
    /// </summary>
    public static bool Is(IOException ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        return ex.HResult == Enospc;
    }

    /// <summary>The failure to report for <paramref name="ex"/>; <paramref name="message"/> says where space ran out.</summary>
    public static BundleException Failure(string message, IOException ex) => new(FailureKind.BundleTooLarge, message, ex);
}
