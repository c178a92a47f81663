using System.Buffers.Binary;

namespace ExtensionCache.Tests.Fixtures;

/// <summary>Finds the records of a generated zip so tests can corrupt precise fields.</summary>
public static class ZipOffsets
{
    public static int EndOfCentralDirectory(byte[] zip)
    {
        for (var i = zip.Length - 22; i >= 0; i--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(i)) == 0x06054b50)
            {
                return i;
            }
        }

        throw new InvalidDataException("no EOCD");
    }

    public static IEnumerable<int> CentralHeaders(byte[] zip)
    {
        var eocd = EndOfCentralDirectory(zip);
        var pos = (int)BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(eocd + 16));
        var count = BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(eocd + 10));
        for (var i = 0; i < count; i++)
        {
            yield return pos;
            pos += 46 + BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(pos + 28))
                + BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(pos + 30))
                + BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(pos + 32));
        }
    }

    /// <summary>The central header of the entry named <paramref name="name"/>.</summary>
    public static int CentralHeader(byte[] zip, string name) =>
        CentralHeaders(zip).First(h => System.Text.Encoding.UTF8.GetString(zip, h + 46, BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(h + 28))) == name);

    public static int LocalHeader(byte[] zip, string name) =>
        (int)BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(CentralHeader(zip, name) + 42));

    /// <summary>Offset of the entry's data (after its local header, name and extra field).</summary>
    public static int Data(byte[] zip, string name)
    {
        var local = LocalHeader(zip, name);
        return local + 30 + BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(local + 26)) + BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(local + 28));
    }
}
