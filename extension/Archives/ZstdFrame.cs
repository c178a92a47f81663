using System.Buffers.Binary;
using ExtensionCache.Extension.Failures;

namespace ExtensionCache.Extension.Archives;

/// <summary>
/// The facts of zstd's frame format (RFC 8878, section 3.1) the extension reads without decoding: magic numbers,
/// the frame header's fields (window, content size, checksum flag), block headers, and the window limit. Used by
/// <see cref="ZstdFrameInspector"/> (tar.zst and sequentially decoded zip entries) and <see cref="ZipZstdDecoder"/>
/// (zip entries decoded frame by frame). Hand-written: ZstdSharp does not expose frame headers.
/// </summary>
public static class ZstdFrame
{
    public const uint Magic = 0xFD2FB528;
    public const uint SkippableMagicMask = 0xFFFFFFF0;
    public const uint SkippableMagic = 0x184D2A50;

    /// <summary>Bytes of a block header; of the content checksum after the last block when the descriptor asks for it.</summary>
    public const int BlockHeaderBytes = 3;
    public const int ChecksumBytes = 4;

    /// <summary>No block holds or produces more than 128 KiB (Block_Maximum_Size).</summary>
    public const int MaxBlockBytes = 128 * 1024;

    /// <summary>log2 of the largest window accepted: 32 MiB covers every level up to 19 and --ultra -20, and --long=25.</summary>
    public const int MaxWindowLog = 25;

    public const long MaxWindowBytes = 1L << MaxWindowLog;

    /// <summary>The largest frame header after the magic number: descriptor, window byte, 4-byte dictionary id, 8-byte content size.</summary>
    public const int MaxHeaderBytes = 14;

    public static bool IsSkippable(uint magic) => (magic & SkippableMagicMask) == SkippableMagic;

    /// <summary>Bytes of the frame header after the descriptor byte: window descriptor, dictionary id, frame content size.</summary>
    public static int HeaderBytesAfterDescriptor(byte descriptor)
    {
        var singleSegment = (descriptor & 0x20) != 0;
        return (singleSegment ? 0 : 1) + DictionaryIdBytes(descriptor) + ((descriptor >> 6) switch { 0 => singleSegment ? 1 : 0, 1 => 2, 2 => 4, _ => 8 });
    }

    public static bool HasChecksum(byte descriptor) => (descriptor & 0x04) != 0;

    /// <summary>The decoded size a frame header (descriptor first) states, or null when it states none.</summary>
    public static long? ContentSize(ReadOnlySpan<byte> header)
    {
        var descriptor = header[0];
        var singleSegment = (descriptor & 0x20) != 0;
        var fcs = header[(1 + (singleSegment ? 0 : 1) + DictionaryIdBytes(descriptor))..];
        return (descriptor >> 6) switch
        {
            0 => singleSegment ? fcs[0] : null,
            1 => BinaryPrimitives.ReadUInt16LittleEndian(fcs) + 256L,
            2 => BinaryPrimitives.ReadUInt32LittleEndian(fcs),
            _ => (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(fcs), long.MaxValue),
        };
    }

    /// <summary>The window a frame header (descriptor first) asks for: its window descriptor, or, for a single-segment frame, its content size.</summary>
    public static long WindowBytes(ReadOnlySpan<byte> header)
    {
        if ((header[0] & 0x20) != 0)
        {
            return ContentSize(header) ?? 0;
        }

        var w = header[1];
        var log = 10 + (w >> 3);
        return (1L << log) + ((1L << log) / 8 * (w & 7));
    }

    /// <summary>Refuses a frame whose window passes <see cref="MaxWindowBytes"/>; <paramref name="subject"/> names the archive or entry.</summary>
    public static void CheckWindow(ReadOnlySpan<byte> header, string subject)
    {
        var window = WindowBytes(header);
        if (window > MaxWindowBytes)
        {
            throw new BundleException(
                FailureKind.BundleUnsupported,
                $"{subject} needs a zstd window of {Mebibytes(window)}, more than the {Mebibytes(MaxWindowBytes)} supported: the decoder keeps the whole window in memory, "
                + $"and a Lambda function may have 128 MB in all; re-compress without --long or --ultra (or with --long={MaxWindowLog} at most)");
        }
    }

    /// <summary>A block header: its type (0 raw, 1 RLE, 2 compressed, 3 reserved), the bytes that follow it, and whether it is the frame's last.</summary>
    public static (int Type, int PayloadBytes, bool Last) Block(ReadOnlySpan<byte> header)
    {
        var value = header[0] | (header[1] << 8) | (header[2] << 16);
        var type = (value >> 1) & 3;
        return (type, type == 1 ? 1 : value >> 3, (value & 1) != 0);
    }

    private static int DictionaryIdBytes(byte descriptor) => (descriptor & 3) switch { 0 => 0, 1 => 1, 2 => 2, _ => 4 };

    private static string Mebibytes(long bytes) => bytes >= 1 << 20 ? $"{bytes >> 20} MiB" : $"{bytes} bytes";
}
