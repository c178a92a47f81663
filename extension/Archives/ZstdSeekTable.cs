using System.Buffers.Binary;
using ExtensionCache.Extension.Failures;

namespace ExtensionCache.Extension.Archives;

/// <summary>The compressed size of one frame of a zstd stream (magic to checksum) and, when its header states it, its decoded size (0 for a skippable frame).</summary>
public readonly record struct ZstdFrameSizes(long Compressed, long? Decoded);

/// <summary>
/// The seek table of zstd's seekable format (facebook/zstd, contrib/seekable_format): a skippable frame at the end
/// of a zstd stream listing every frame before it (compressed size, decoded size, optional checksum), followed by
/// a 9-byte footer (frame count, descriptor, magic 0x8F92EAB1). Other zstd readers skip it. <c>pack</c> writes one
/// after the frames of every multi-frame zip entry (<see cref="Write"/>).
/// The extension learns frame boundaries from the frames themselves as they stream in (a frame's header states its
/// decoded size, its block headers its length), because in a forward-only download the table arrives after the
/// frames it describes; so it only <see cref="Check">checks</see> a table against the frames it saw: a table that
/// does not describe them is refused, one it cannot read (reserved bits set) is ignored, like any skippable frame.
/// </summary>
public static class ZstdSeekTable
{
    /// <summary>The skippable-frame magic number the seekable format uses (other skippable frames may use it too).</summary>
    public const uint SkippableMagic = 0x184D2A5E;

    public const uint FooterMagic = 0x8F92EAB1;

    public const int FooterBytes = 9;

    private const int EntryBytes = 8;
    private const int EntryWithChecksumBytes = 12;
    private const byte ChecksumFlag = 0x80;
    private const byte ReservedBits = 0x7C;

    /// <summary>
    /// The most bytes worth keeping of a skippable frame's content to check it as a seek table of
    /// <paramref name="framesBefore"/> frames: a larger one cannot describe them, and only its footer is needed to say so.
    /// </summary>
    public static long MaxTableBytes(int framesBefore) => ((long)framesBefore * EntryWithChecksumBytes) + FooterBytes;

    /// <summary>
    /// Checks the content of a skippable frame with <see cref="SkippableMagic"/> against the frames that came before
    /// it. <paramref name="content"/> is the whole content when it was at most <see cref="MaxTableBytes"/>, else
    /// only its last <see cref="FooterBytes"/>; <paramref name="contentBytes"/> is its full size. Refuses (naming
    /// <paramref name="subject"/>) a seek table that is malformed or does not describe <paramref name="frames"/>.
    /// </summary>
    public static bool Check(ReadOnlySpan<byte> content, long contentBytes, IReadOnlyList<ZstdFrameSizes> frames, string subject)
    {
        ArgumentNullException.ThrowIfNull(frames);
        if (contentBytes < FooterBytes || BinaryPrimitives.ReadUInt32LittleEndian(content[^4..]) != FooterMagic)
        {
            return false; // another skippable frame with the same magic number
        }

        var footer = content[^FooterBytes..];
        var count = BinaryPrimitives.ReadUInt32LittleEndian(footer);
        var descriptor = footer[4];
        if ((descriptor & ReservedBits) != 0)
        {
            return false; // a later version of the format: not used, so not refused
        }

        var entryBytes = (descriptor & ChecksumFlag) != 0 ? EntryWithChecksumBytes : EntryBytes;
        if (contentBytes != ((long)count * entryBytes) + FooterBytes)
        {
            throw Lying(subject, $"its zstd seek table is {contentBytes} bytes, which is not {count} entries of {entryBytes} bytes and a footer (corrupt seek table)");
        }

        if (count != frames.Count)
        {
            throw Lying(subject, $"its zstd seek table lists {count} frames, but {frames.Count} frames precede it");
        }

        for (var i = 0; i < frames.Count; i++)
        {
            var entry = content[(i * entryBytes)..];
            long compressed = BinaryPrimitives.ReadUInt32LittleEndian(entry);
            long decoded = BinaryPrimitives.ReadUInt32LittleEndian(entry[4..]);
            var frame = frames[i];
            if (compressed != frame.Compressed || (frame.Decoded is { } size && size != decoded))
            {
                throw Lying(
                    subject,
                    $"its zstd seek table says frame {i + 1} is {compressed} bytes decoding to {decoded}, but the frame is {frame.Compressed} bytes"
                    + (frame.Decoded is { } d ? $" decoding to {d}" : string.Empty));
            }
        }

        return true;
    }

    /// <summary>The seek table frame (magic, size, entries, footer, no checksums) for frames of these compressed and decoded sizes.</summary>
    public static byte[] Write(IReadOnlyList<(int Compressed, int Decoded)> frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        var contentBytes = (frames.Count * EntryBytes) + FooterBytes;
        var table = new byte[8 + contentBytes];
        var span = table.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, SkippableMagic);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], (uint)contentBytes);
        for (var i = 0; i < frames.Count; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(span[(8 + (i * EntryBytes))..], (uint)frames[i].Compressed);
            BinaryPrimitives.WriteUInt32LittleEndian(span[(12 + (i * EntryBytes))..], (uint)frames[i].Decoded);
        }

        var footer = span[^FooterBytes..];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, (uint)frames.Count);
        footer[4] = 0;
        BinaryPrimitives.WriteUInt32LittleEndian(footer[5..], FooterMagic);
        return table;
    }

    private static BundleException Lying(string subject, string cause) =>
        new(FailureKind.BundleIntegrity, $"{subject} is corrupt: {cause}");
}
