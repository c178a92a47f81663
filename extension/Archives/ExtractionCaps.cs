using ExtensionCache.Extension.Failures;

namespace ExtensionCache.Extension.Archives;

/// <summary>
/// The two caps on one bundle: bytes written and entries created. They count what is actually written, never
/// what an archive declares (a zip's declared totals are checked against them up front as well, see
/// <see cref="ZipStreamExtractor"/>). Bytes may be counted from any thread; entries by the archive reader only.
/// </summary>
/// <param name="maxBytes">The unpacked-size cap, lowered to the free space in the cache root.</param>
/// <param name="maxEntries">Files, directories and links in the bundle.</param>
/// <param name="maxBytesOrigin">Where <paramref name="maxBytes"/> comes from, as the messages say it.</param>
public sealed class ExtractionCaps(long maxBytes, int maxEntries, string maxBytesOrigin = "the unpacked-size cap, or the free space in the cache root")
{
    private long _bytes;

    public long MaxBytes => maxBytes;

    public int MaxEntries => maxEntries;

    /// <summary>Where <see cref="MaxBytes"/> comes from, for messages.</summary>
    public string MaxBytesOrigin => maxBytesOrigin;

    public long Bytes => Interlocked.Read(ref _bytes);

    public long Entries { get; private set; }

    /// <summary>Counts one more entry, or refuses <paramref name="entry"/> when it would pass the entry cap.</summary>
    public void CountEntry(string entry)
    {
        if (Entries + 1 > maxEntries)
        {
            throw new BundleException(
                FailureKind.BundleTooLarge,
                $"entry '{EntryPathPolicy.Display(entry)}' refused: the bundle has more than {maxEntries} entries (the entry-count cap)");
        }

        Entries++;
    }

    /// <summary>Counts <paramref name="count"/> bytes about to be written for <paramref name="entry"/>, or refuses it past the byte cap.</summary>
    public void CountBytes(string entry, long count)
    {
        if (Interlocked.Add(ref _bytes, count) > maxBytes)
        {
            throw new BundleException(
                FailureKind.BundleTooLarge,
                $"entry '{EntryPathPolicy.Display(entry)}' refused: the bundle unpacks to more than {maxBytes} bytes ({maxBytesOrigin})");
        }
    }
}
