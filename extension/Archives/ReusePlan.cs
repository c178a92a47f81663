using ExtensionCache.Extension.Sources;

namespace ExtensionCache.Extension.Archives;

/// <summary>
/// An entry's normalized <paramref name="Path"/> and what is already on disk for it: a file at the same path in
/// <paramref name="From"/> to hard-link (with its mtime) or a symlink target to recreate.
/// </summary>
public sealed record ReusedEntry(string Path, ExistingTree? From, long FileMtimeTicks, string? LinkTarget)
{
    /// <summary>The linked file gets its mode and mtime set (<see cref="ExistingTree.RestampsLinkedFiles"/>).</summary>
    public bool Restamp => From is { RestampsLinkedFiles: true };
}

/// <summary>
/// What a delta update or a resume may take from disk instead of downloading (<see cref="IArchiveExtractor.PlanReuse"/>):
/// the entries already there (<see cref="Reuse"/>), the byte ranges of the archive the other entries need (each from
/// its local header up to the next entry), and the hash published in place of the archive's SHA-256, which a delta
/// cannot compute without every byte. <see cref="DataBytes"/> is where the entries' data ends (a zip's central
/// directory starts there), so the bytes not downloaded are <c>DataBytes</c> less what the ranges fetched.
/// </summary>
public sealed record ReusePlan(
    IReadOnlyDictionary<ZipEntryRecord, ReusedEntry> Reuse,
    IReadOnlyList<ObjectRange> Ranges,
    string TreeHash,
    long ReusedBytes,
    int FetchedEntries,
    long DataBytes)
{
    /// <summary>Starts the manifest's sha256 field after a delta: it is never an archive hash, so never equals a pin.</summary>
    public const string TreeHashPrefix = "entries-";

    /// <summary>Files and symlinks taken from disk.</summary>
    public int ReusedEntries => Reuse.Count;
}
