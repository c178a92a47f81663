using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using ExtensionCache.Extension.Archives;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace ExtensionCache.Tests.Fixtures;

/// <summary>One entry of a <see cref="ZstdZip"/>: its content, and its bytes as stored under <paramref name="Method"/> (93 zstd, 0 stored).</summary>
public sealed record ZstdZipEntry(string Name, byte[] Content, byte[] Stored, ushort Method = ZstdZip.Method, int Mode = 0x81A4);

/// <summary>
/// Zips whose entries are zstd (method 93) exactly as a test needs them: one frame or several independent ones, with
/// or without a seek table, a content size in each frame header, zstd's checksum. Written record by record, so a
/// test can make any field lie.
/// </summary>
public static class ZstdZip
{
    public const ushort Method = 93;

    /// <summary>An entry whose content is zstd in frames of <paramref name="frameSize"/> (see <see cref="Frames"/>).</summary>
    public static ZstdZipEntry File(string name, byte[] content, int frameSize = int.MaxValue, bool seekTable = true, bool checksum = false, bool contentSize = true) =>
        new(name, content, Frames(content, frameSize, seekTable, checksum, contentSize));

    /// <summary>
    /// <paramref name="content"/> as independent zstd frames of <paramref name="frameSize"/> bytes each (level 3),
    /// followed by a seek table when there is more than one frame and <paramref name="seekTable"/> is set. Without
    /// <paramref name="contentSize"/> each frame is streamed, so its header states no size.
    /// </summary>
    public static byte[] Frames(byte[] content, int frameSize, bool seekTable = true, bool checksum = false, bool contentSize = true)
    {
        var output = new MemoryStream();
        var sizes = new List<(int, int)>();
        for (var offset = 0; offset < content.Length || offset == 0; offset += frameSize)
        {
            var piece = content.AsSpan(offset, Math.Min(frameSize, content.Length - offset));
            var frame = Frame(piece, checksum, contentSize);
            output.Write(frame);
            sizes.Add((frame.Length, piece.Length));
            if (content.Length == 0)
            {
                break;
            }
        }

        if (seekTable && sizes.Count > 1)
        {
            output.Write(ZstdSeekTable.Write(sizes));
        }

        return output.ToArray();
    }

    /// <summary>One zstd frame of <paramref name="content"/>.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> content, bool checksum = false, bool contentSize = true, int? windowLog = null)
    {
        if (contentSize && windowLog is null)
        {
            using var compressor = new Compressor(3);
            compressor.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, checksum ? 1 : 0);
            return compressor.Wrap(content).ToArray();
        }

        using var buffer = new MemoryStream();
        using (var zstd = new CompressionStream(buffer, level: 3, leaveOpen: true))
        {
            zstd.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, checksum ? 1 : 0);
            if (windowLog is { } log)
            {
                zstd.SetParameter(ZSTD_cParameter.ZSTD_c_windowLog, log);
            }

            zstd.Write(content);
        }

        return buffer.ToArray();
    }

    /// <summary>A zip of these entries (unix modes, no extra fields, no data descriptors); <paramref name="declaredSizes"/> overrides what the headers say an entry unpacks to.</summary>
    public static byte[] Zip(IEnumerable<ZstdZipEntry> entries, IReadOnlyDictionary<string, uint>? declaredSizes = null)
    {
        var output = new MemoryStream();
        var central = new MemoryStream();
        var count = 0;
        foreach (var entry in entries)
        {
            var name = Encoding.UTF8.GetBytes(entry.Name);
            var crc = Crc32.HashToUInt32(entry.Content);
            var size = declaredSizes is not null && declaredSizes.TryGetValue(entry.Name, out var lie) ? lie : (uint)entry.Content.Length;
            var offset = (uint)output.Position;
            var local = new byte[30];
            BinaryPrimitives.WriteUInt32LittleEndian(local, 0x04034b50);
            BinaryPrimitives.WriteUInt16LittleEndian(local.AsSpan(4), 63);
            BinaryPrimitives.WriteUInt16LittleEndian(local.AsSpan(6), 0x0800);
            BinaryPrimitives.WriteUInt16LittleEndian(local.AsSpan(8), entry.Method);
            BinaryPrimitives.WriteUInt16LittleEndian(local.AsSpan(12), 0x5821); // 2024-01-01
            BinaryPrimitives.WriteUInt32LittleEndian(local.AsSpan(14), crc);
            BinaryPrimitives.WriteUInt32LittleEndian(local.AsSpan(18), (uint)entry.Stored.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(local.AsSpan(22), size);
            BinaryPrimitives.WriteUInt16LittleEndian(local.AsSpan(26), (ushort)name.Length);
            output.Write(local);
            output.Write(name);
            output.Write(entry.Stored);

            var record = new byte[46];
            BinaryPrimitives.WriteUInt32LittleEndian(record, 0x02014b50);
            BinaryPrimitives.WriteUInt16LittleEndian(record.AsSpan(4), (3 << 8) | 63);
            local.AsSpan(4, 26).CopyTo(record.AsSpan(6));
            BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(38), (uint)entry.Mode << 16);
            BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(42), offset);
            central.Write(record);
            central.Write(name);
            count++;
        }

        var directoryOffset = (uint)output.Position;
        central.Position = 0;
        central.CopyTo(output);
        var end = new byte[22];
        BinaryPrimitives.WriteUInt32LittleEndian(end, 0x06054b50);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(8), (ushort)count);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(10), (ushort)count);
        BinaryPrimitives.WriteUInt32LittleEndian(end.AsSpan(12), (uint)central.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(end.AsSpan(16), directoryOffset);
        output.Write(end);
        return output.ToArray();
    }

    /// <summary>Content that compresses about 2:1: random bytes mixed with runs, deterministic for <paramref name="seed"/>.</summary>
    public static byte[] Content(int length, int seed)
    {
        var random = new Random(seed);
        var content = new byte[length];
        random.NextBytes(content);
        for (var i = 0; i < length; i += 64)
        {
            content.AsSpan(i, Math.Min(32, length - i)).Fill((byte)(i / 4096));
        }

        return content;
    }
}
