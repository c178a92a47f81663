namespace ExtensionCache.Extension.Archives;

/// <summary>
/// One central-directory record of a zip, with ZIP64 fields already applied. Every record stays in memory for the
/// whole extraction, so it keeps only the decoded name (strict UTF-8, so it re-encodes to the exact bytes).
/// </summary>
public sealed record ZipEntryRecord(
    string Name,
    ushort VersionMadeBy,
    ushort Flags,
    ushort Method,
    uint Crc32,
    long CompressedSize,
    long UncompressedSize,
    long LocalHeaderOffset,
    uint ExternalAttributes,
    DateTimeOffset? Modified)
{
    private const int UnixHost = 3;
    private const int TypeMask = 0xF000;
    private const int SymlinkType = 0xA000;
    private const int DirectoryType = 0x4000;

    public bool IsEncrypted => (Flags & ZipFieldLocations.Flags.Encrypted) != 0;

    /// <summary>Unix mode from the upper 16 bits of the external attributes, when the entry was made on unix.</summary>
    public int? UnixMode => (VersionMadeBy >> 8) == UnixHost && (ExternalAttributes >> 16) != 0
        ? (int)(ExternalAttributes >> 16)
        : null;

    public bool IsSymlink => UnixMode is { } mode && (mode & TypeMask) == SymlinkType;

    public bool IsDirectory => Name.EndsWith('/') || (UnixMode is { } mode && (mode & TypeMask) == DirectoryType);
}
