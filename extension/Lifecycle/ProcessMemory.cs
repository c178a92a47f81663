using System.Runtime.InteropServices;

namespace ExtensionCache.Extension.Lifecycle;

/// <summary>
/// Gives memory back to the system once the bundles are ready: the extension idles from then to SHUTDOWN, and its
/// resident memory counts against the function's.
/// </summary>
public static partial class ProcessMemory
{
    /// <summary>A compacting, decommitting full GC, then glibc's <c>malloc_trim</c>.</summary>
    public static void Release()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

        // Native memory freed during the extraction (zlib states, OpenSSL buffers, allocated on several worker
        // threads) stays cached in glibc's per-thread arenas; malloc_trim returns their free pages. No library does this.
        if (OperatingSystem.IsLinux())
        {
            _ = MallocTrim(0);
        }
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}
