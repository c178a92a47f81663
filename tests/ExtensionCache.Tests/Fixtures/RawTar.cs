using System.IO.Compression;
using System.Text;

namespace ExtensionCache.Tests.Fixtures;

/// <summary>
/// Writes tar headers byte by byte, for what the BCL's TarWriter cannot make: PAX headers without a path, GNU
/// sparse entries, base-256 numbers, unknown types, bad checksums, a missing end marker.
/// </summary>
public sealed class RawTar
{
    private readonly MemoryStream _tar = new();

    /// <summary>Appends one header block; <paramref name="patch"/> may change it before the checksum is computed.</summary>
    public RawTar Header(char type, string name, long size, string magic = "ustar\0", string prefix = "", Action<byte[]>? patch = null, bool badChecksum = false)
    {
        var h = new byte[512];
        Encoding.UTF8.GetBytes(name).CopyTo(h, 0);
        Octal(h, 100, 8, 0x1A4);
        Octal(h, 108, 8, 0);
        Octal(h, 116, 8, 0);
        Octal(h, 124, 12, size);
        Octal(h, 136, 12, 1_600_000_000);
        h[156] = (byte)type;
        Encoding.ASCII.GetBytes(magic).CopyTo(h, 257);
        if (magic == "ustar\0")
        {
            Encoding.ASCII.GetBytes("00").CopyTo(h, 263);
            Encoding.UTF8.GetBytes(prefix).CopyTo(h, 345);
        }

        patch?.Invoke(h);
        Encoding.ASCII.GetBytes("        ").CopyTo(h, 148);
        var sum = h.Sum(b => b) + (badChecksum ? 1 : 0);
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(h, 148);
        _tar.Write(h);
        return this;
    }

    /// <summary>Appends data padded to a block.</summary>
    public RawTar Data(byte[] data)
    {
        _tar.Write(data);
        _tar.Write(new byte[(512 - (data.Length % 512)) % 512]);
        return this;
    }

    /// <summary>A PAX extended header ('x') with these records, then nothing else.</summary>
    public RawTar Pax(params (string Key, string Value)[] records) =>
        Pax("PaxHeaders/x"u8.ToArray(), [.. records.Select(r => (r.Key, Encoding.UTF8.GetBytes(r.Value)))]);

    /// <summary>
    /// A PAX extended header of type <paramref name="type"/> ('x' or 'g') whose own name field holds
    /// <paramref name="headerName"/> (any bytes, as writers make it up), with records whose values are any bytes.
    /// </summary>
    public RawTar Pax(byte[] headerName, (string Key, byte[] Value)[] records, char type = 'x')
    {
        var body = new MemoryStream();
        foreach (var (key, value) in records)
        {
            var length = Encoding.UTF8.GetByteCount(key) + value.Length + 3; // ' ', '=', '\n'
            var total = length + Digits(length);
            if (Digits(total) != Digits(length))
            {
                total++;
            }

            body.Write(Encoding.UTF8.GetBytes($"{total} {key}="));
            body.Write(value);
            body.WriteByte((byte)'\n');
        }

        var bytes = body.ToArray();
        return Header(type, string.Empty, bytes.Length, patch: RawName(headerName)).Data(bytes);

        static int Digits(int n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture).Length;
    }

    /// <summary>A patch that puts <paramref name="name"/> (any bytes, at most 100) in the name field.</summary>
    public static Action<byte[]> RawName(byte[] name) => h => Field(h, 0, 100, name);

    /// <summary>A patch that puts <paramref name="link"/> (any bytes, at most 100) in the linkname field.</summary>
    public static Action<byte[]> RawLinkName(byte[] link) => h => Field(h, 157, 100, link);

    private static void Field(byte[] h, int at, int width, byte[] value)
    {
        Array.Clear(h, at, width);
        value.AsSpan(0, Math.Min(width, value.Length)).CopyTo(h.AsSpan(at));
    }

    public static void Octal(byte[] h, int at, int width, long value) =>
        Encoding.ASCII.GetBytes(Convert.ToString(value, 8).PadLeft(width - 1, '0') + "\0").CopyTo(h, at);

    /// <summary>The tar, with the two zero blocks of the end marker unless <paramref name="endMarker"/> is false, gzip-compressed.</summary>
    public byte[] TarGz(bool endMarker = true)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(_tar.ToArray());
            if (endMarker)
            {
                gzip.Write(new byte[1024]);
            }
        }

        return output.ToArray();
    }
}
