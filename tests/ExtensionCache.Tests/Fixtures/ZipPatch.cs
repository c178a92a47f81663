using System.Buffers.Binary;
using System.Text;

namespace ExtensionCache.Tests.Fixtures;

/// <summary>Corrupts precise fields of a generated zip, in the central directory, the local header, or both.</summary>
public static class ZipPatch
{
    /// <summary>Renames an entry in both headers; the new name must have the same UTF-8 length.</summary>
    public static void Rename(byte[] zip, string name, string newName, bool centralOnly = false, bool localOnly = false)
    {
        var bytes = Encoding.UTF8.GetBytes(newName);
        if (bytes.Length != Encoding.UTF8.GetByteCount(name))
        {
            throw new ArgumentException("same length only", nameof(newName));
        }

        var central = ZipOffsets.CentralHeader(zip, name);
        var local = ZipOffsets.LocalHeader(zip, name);
        if (!localOnly)
        {
            bytes.CopyTo(zip, central + 46);
        }

        if (!centralOnly)
        {
            bytes.CopyTo(zip, local + 30);
        }
    }

    public static void SetFlagBits(byte[] zip, string name, ushort bits)
    {
        var central = ZipOffsets.CentralHeader(zip, name);
        var local = ZipOffsets.LocalHeader(zip, name);
        Or(zip, central + 8, bits);
        Or(zip, local + 6, bits);
    }

    public static void SetMethod(byte[] zip, string name, ushort method)
    {
        var central = ZipOffsets.CentralHeader(zip, name);
        var local = ZipOffsets.LocalHeader(zip, name);
        BinaryPrimitives.WriteUInt16LittleEndian(zip.AsSpan(central + 10), method);
        BinaryPrimitives.WriteUInt16LittleEndian(zip.AsSpan(local + 8), method);
    }

    public static void SetUncompressedSize(byte[] zip, string name, uint size)
    {
        var central = ZipOffsets.CentralHeader(zip, name);
        var local = ZipOffsets.LocalHeader(zip, name);
        BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(central + 24), size);
        BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(local + 22), size);
    }

    public static void SetLocalHeaderOffset(byte[] zip, string name, uint offset) =>
        BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(ZipOffsets.CentralHeader(zip, name) + 42), offset);

    private static void Or(byte[] zip, int at, ushort bits) =>
        BinaryPrimitives.WriteUInt16LittleEndian(zip.AsSpan(at), (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(at)) | bits));
}
