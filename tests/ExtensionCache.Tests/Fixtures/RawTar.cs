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
    public RawTar Pax(params (string Key, string Value)[] records)
    {
        var body = new StringBuilder();
        foreach (var (key, value) in records)
        {
            var text = $" {key}={value}\n";
            var length = Encoding.UTF8.GetByteCount(text);
            var total = length + length.ToString(System.Globalization.CultureInfo.InvariantCulture).Length;
            if (total.ToString(System.Globalization.CultureInfo.InvariantCulture).Length != length.ToString(System.Globalization.CultureInfo.InvariantCulture).Length)
            {
                total++;
            }

            body.Append(System.Globalization.CultureInfo.InvariantCulture, $"{total}{text}");
        }

        var bytes = Encoding.UTF8.GetBytes(body.ToString());
        return Header('x', "PaxHeaders/x", bytes.Length).Data(bytes);
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
