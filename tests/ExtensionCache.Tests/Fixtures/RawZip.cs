using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace ExtensionCache.Tests.Fixtures;

/// <summary>
/// Writes a zip of stored entries byte by byte, for what .NET's ZipArchive cannot make: name fields of any bytes,
/// any flags, extra fields such as Info-ZIP's Unicode Path, and a local header that differs from the central one.
/// </summary>
public static class RawZip
{
    /// <summary>
    /// One entry: <paramref name="Name"/> and <paramref name="Extra"/> in the central directory, and in the local
    /// header unless <paramref name="LocalName"/> or <paramref name="LocalExtra"/> say otherwise.
    /// </summary>
    public sealed record Entry(byte[] Name, byte[] Content, ushort Flags = 0, byte[]? Extra = null, byte[]? LocalName = null, byte[]? LocalExtra = null);

    /// <summary>An Info-ZIP Unicode Path extra block (0x7075) naming <paramref name="name"/>, for a name field of <paramref name="nameField"/>.</summary>
    public static byte[] UnicodePath(byte[] nameField, string name, bool stale = false)
    {
        var utf8 = Encoding.UTF8.GetBytes(name);
        var block = new byte[4 + 5 + utf8.Length];
        BinaryPrimitives.WriteUInt16LittleEndian(block, 0x7075);
        BinaryPrimitives.WriteUInt16LittleEndian(block.AsSpan(2), (ushort)(5 + utf8.Length));
        block[4] = 1;
        BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(5), Crc32.HashToUInt32(nameField) ^ (stale ? 1u : 0u));
        utf8.CopyTo(block, 9);
        return block;
    }

    public static byte[] Stored(params Entry[] entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        using var body = new MemoryStream();
        using var central = new MemoryStream();
        foreach (var entry in entries)
        {
            var offset = (uint)body.Position;
            var crc = Crc32.HashToUInt32(entry.Content);
            Header(body, local: true, entry.LocalName ?? entry.Name, entry.LocalExtra ?? entry.Extra ?? [], entry.Flags, crc, entry.Content.Length, 0);
            body.Write(entry.Content);
            Header(central, local: false, entry.Name, entry.Extra ?? [], entry.Flags, crc, entry.Content.Length, offset);
        }

        var end = new byte[22];
        BinaryPrimitives.WriteUInt32LittleEndian(end, 0x06054b50);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(8), (ushort)entries.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(10), (ushort)entries.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(end.AsSpan(12), (uint)central.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(end.AsSpan(16), (uint)body.Length);
        return [.. body.ToArray(), .. central.ToArray(), .. end];
    }

    private static void Header(MemoryStream output, bool local, byte[] name, byte[] extra, ushort flags, uint crc, int size, uint offset)
    {
        var h = new byte[local ? 30 : 46];
        var at = local ? 0 : 2; // the central header has "version made by" before the fields they share
        BinaryPrimitives.WriteUInt32LittleEndian(h, local ? 0x04034b50u : 0x02014b50u);
        if (!local)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(4), 0x031E); // made on unix, zip 3.0
        }

        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(at + 4), 20);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(at + 6), flags);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(at + 10), 0x6000); // 12:00
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(at + 12), 0x5221); // 2021-01-01
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(at + 14), crc);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(at + 18), (uint)size);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(at + 22), (uint)size);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(at + 26), (ushort)name.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(at + 28), (ushort)extra.Length);
        if (!local)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(38), 0x81A4u << 16); // regular file, 0644
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(42), offset);
        }

        output.Write(h);
        output.Write(name);
        output.Write(extra);
    }
}
