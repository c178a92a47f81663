namespace ExtensionCache.Cli.Inspecting;

/// <summary>
/// One entry as <c>inspect</c> lists it. A zip entry also has its compression method and stored size, and, for a zstd
/// entry of a local archive, its frames (data frames, and whether a seek table follows them).
/// </summary>
public sealed record InspectedEntry(string Name, string Kind, long Size, string? Method = null, long? StoredSize = null, int? Frames = null, bool SeekTable = false);

/// <summary>
/// What <c>inspect</c> found: the entries (all of them, or the central directory's only over the network), the
/// archive's and the unpacked size, each refusal with its rule and error type, and whether the content was read.
/// </summary>
public sealed record InspectReport(
    string Source,
    string Format,
    long ArchiveBytes,
    IReadOnlyList<InspectedEntry> Entries,
    long UnpackedBytes,
    IReadOnlyList<string> Refusals,
    bool ContentRead,
    string? Sha256)
{
    public bool Accepted => Refusals.Count == 0;

    /// <summary>
    /// The /tmp the extension needs: the bundle is unpacked into staging and renamed into the store on the same file
    /// system, so the unpacked size; while a new version replaces a published one, both are kept until the next start.
    /// </summary>
    public long PeakTmpBytes => UnpackedBytes;
}
