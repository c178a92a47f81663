using System.Buffers;
using System.IO.Hashing;
using ExtensionCache.Extension.Archives;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace ExtensionCache.Cli.Packing;

/// <summary>
/// zstd content for a zip entry (method 93), shaped for the extension: a file of at most <see cref="FrameBytes"/> is
/// one frame; a larger one is independent frames of <see cref="FrameBytes"/>, each stating its decoded size, followed
/// by a seek table (zstd's seekable format, <see cref="ZstdSeekTable"/>), so the extension decodes its frames on every
/// core and random-access zstd readers can seek in it. A single frame of <see cref="SeekTableFrom"/> bytes or more
/// gets a seek table too: libarchive 3.6 (Debian 12's bsdtar) stops with "Truncated zstd file body" when an entry's
/// last compressed bytes are read before its output fits its 128 KiB buffer, and the table keeps it reading. Level
/// <see cref="Level"/>, no zstd checksum (the zip's CRC-32 covers the content), windows of at most one frame (far
/// under the extension's 32 MiB limit).
/// </summary>
public static class ZipZstdEncoder
{
    /// <summary>
    /// Decoded bytes per frame: the unit the extension's workers decode. 1 MiB costs about 1 % of compression ratio
    /// against one frame per file on the benchmark's binaries, and keeps each worker's piece small.
    /// </summary>
    public const int FrameBytes = 1024 * 1024;

    public const int Level = 3;

    /// <summary>Content of this size or more ends with a seek table even as a single frame (see the class summary).</summary>
    public const int SeekTableFrom = 128 * 1024;

    [ThreadStatic]
    private static Compressor? _compressor;

    /// <summary><paramref name="content"/> as zstd: one frame, or frames and a seek table.</summary>
    public static byte[] Compress(ReadOnlySpan<byte> content)
    {
        if (content.Length < SeekTableFrom)
        {
            return CompressFrame(content);
        }

        var output = new MemoryStream((content.Length / 2) + 1024);
        var sizes = new List<(int Compressed, int Decoded)>();
        for (var offset = 0; offset < content.Length; offset += FrameBytes)
        {
            var piece = content.Slice(offset, Math.Min(FrameBytes, content.Length - offset));
            var frame = CompressFrame(piece);
            output.Write(frame);
            sizes.Add((frame.Length, piece.Length));
        }

        output.Write(ZstdSeekTable.Write(sizes));
        return output.ToArray();
    }

    /// <summary>
    /// Streams <paramref name="length"/> bytes of <paramref name="source"/> into <paramref name="output"/> as frames and a
    /// seek table, compressing up to two frames per core at once and writing them in order; returns the bytes written
    /// and the CRC-32 of what was read.
    /// </summary>
    public static async Task<(long Written, uint Crc)> CompressAsync(Stream source, long length, Stream output, CancellationToken ct)
    {
        var crc = new Crc32();
        var sizes = new List<(int Compressed, int Decoded)>();
        var pending = new Queue<(Task<byte[]> Frame, int Decoded)>();
        var window = Math.Max(2, Environment.ProcessorCount * 2);
        long written = 0;
        long read = 0;
        while (read < length || pending.Count > 0)
        {
            while (read < length && pending.Count < window)
            {
                var size = (int)Math.Min(FrameBytes, length - read);
                var piece = ArrayPool<byte>.Shared.Rent(size);
                await source.ReadExactlyAsync(piece.AsMemory(0, size), ct).ConfigureAwait(false);
                crc.Append(piece.AsSpan(0, size));
                read += size;
                pending.Enqueue((Task.Run(
                    () =>
                    {
                        try
                        {
                            return CompressFrame(piece.AsSpan(0, size));
                        }
                        finally
                        {
                            ArrayPool<byte>.Shared.Return(piece);
                        }
                    },
                    ct), size));
            }

            var (task, decoded) = pending.Dequeue();
            var frame = await task.ConfigureAwait(false);
            await output.WriteAsync(frame, ct).ConfigureAwait(false);
            written += frame.Length;
            sizes.Add((frame.Length, decoded));
        }

        if (length >= SeekTableFrom)
        {
            var table = ZstdSeekTable.Write(sizes);
            await output.WriteAsync(table, ct).ConfigureAwait(false);
            written += table.Length;
        }

        return (written, crc.GetCurrentHashAsUInt32());
    }

    /// <summary>One frame, its decoded size in the header, no checksum; a compressor per thread, reused.</summary>
    public static byte[] CompressFrame(ReadOnlySpan<byte> content)
    {
        var compressor = _compressor ??= NewCompressor();
        return compressor.Wrap(content).ToArray();
    }

    private static Compressor NewCompressor()
    {
        var compressor = new Compressor(Level);
        compressor.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, 0);
        compressor.SetParameter(ZSTD_cParameter.ZSTD_c_contentSizeFlag, 1);
        return compressor;
    }
}
