using System.Text;

namespace ExtensionCache.Extension.Archives;

/// <summary>One published zip entry as a delta update compares it (see <see cref="ZipEntryIndex"/>).</summary>
/// <param name="Name">The entry's name as the central directory spells it.</param>
/// <param name="Size">Uncompressed size.</param>
/// <param name="Crc32">CRC-32 of the content (of the target, for a symlink).</param>
/// <param name="Mode">Unix mode from the central directory, -1 when it has none.</param>
/// <param name="LinkTarget">The symlink's target, empty for a file.</param>
/// <param name="FileMtimeTicks">The published file's mtime in .NET ticks (100 ns, UTC), as the extension left it.</param>
public sealed record ZipIndexedEntry(string Name, long Size, uint Crc32, int Mode, string LinkTarget, long FileMtimeTicks);

/// <summary>
/// The sidecar <c>.extension-cache-entries</c> beside the manifest of a published zip bundle: per file and symlink
/// its name, size, CRC-32, mode, link target and the mtime the extension left on it. A delta update reads it to
/// know which entries of a new central directory are already on disk. A binary file of length-prefixed records
/// (BinaryWriter), not JSON: 20,000 entries read in a few milliseconds with no serializer to keep AOT-safe.
/// </summary>
public static class ZipEntryIndex
{
    private const int FormatVersion = 1;
    private const string Magic = "extension-cache-entries";

    public static void Write(string path, IReadOnlyCollection<ZipIndexedEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024);
        using var writer = new BinaryWriter(stream, Encoding.UTF8);
        writer.Write(Magic);
        writer.Write(FormatVersion);
        writer.Write(entries.Count);
        foreach (var e in entries)
        {
            writer.Write(e.Name);
            writer.Write(e.Size);
            writer.Write(e.Crc32);
            writer.Write(e.Mode);
            writer.Write(e.LinkTarget);
            writer.Write(e.FileMtimeTicks);
        }
    }

    /// <summary>The index at <paramref name="path"/> by entry name, or null when it is missing or unreadable.</summary>
    public static Dictionary<string, ZipIndexedEntry>? TryRead(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024);
            using var reader = new BinaryReader(stream, Encoding.UTF8);
            if (reader.ReadString() != Magic || reader.ReadInt32() != FormatVersion)
            {
                return null;
            }

            var count = reader.ReadInt32();
            var entries = new Dictionary<string, ZipIndexedEntry>(Math.Clamp(count, 0, 1 << 20), StringComparer.Ordinal);
            for (var i = 0; i < count; i++)
            {
                var e = new ZipIndexedEntry(reader.ReadString(), reader.ReadInt64(), reader.ReadUInt32(), reader.ReadInt32(), reader.ReadString(), reader.ReadInt64());
                entries[e.Name] = e;
            }

            return entries;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or EndOfStreamException or FormatException)
        {
            return null;
        }
    }
}
