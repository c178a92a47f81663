using System.IO.Compression;

namespace ExtensionCache.Cli.Packing;

/// <summary>
/// Whether an entry is deflated or stored: stored when its extension names already-compressed content, or when
/// deflating its first 64 KiB saves less than 5 % (compressed / original &gt; 0.95); deflated otherwise. A deflated
/// entry that came out no smaller than its content is stored after all.
/// </summary>
public static class CompressionChoice
{
    public const int ProbeBytes = 64 * 1024;
    public const double StoreAboveRatio = 0.95;

    private static readonly HashSet<string> CompressedExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".zip", ".jar", ".war", ".whl", ".egg", ".nupkg", ".apk",
        ".gz", ".tgz", ".bz2", ".xz", ".txz", ".zst", ".lz4", ".lzma", ".br", ".7z", ".rar",
        ".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".heic", ".ico",
        ".mp3", ".mp4", ".m4a", ".aac", ".ogg", ".opus", ".webm", ".mov", ".mkv",
        ".woff", ".woff2", ".pdf",
    };

    public static bool ShouldStoreByName(string path) => CompressedExtensions.Contains(Path.GetExtension(path));

    /// <summary>True when deflating the probe saves less than 5 %.</summary>
    public static bool ProbeSaysStore(ReadOnlySpan<byte> content)
    {
        var probe = content[..Math.Min(content.Length, ProbeBytes)];
        if (probe.Length == 0)
        {
            return true;
        }

        using var sink = new CountingStream();
        using (var deflate = new DeflateStream(sink, CompressionLevel.Fastest, leaveOpen: true))
        {
            deflate.Write(probe);
        }

        return (double)sink.Length / probe.Length > StoreAboveRatio;
    }

    /// <summary>A write-only stream that only counts.</summary>
    private sealed class CountingStream : Stream
    {
        private long _length;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _length;

        public override long Position { get => _length; set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => _length += count;

        public override void Write(ReadOnlySpan<byte> buffer) => _length += buffer.Length;
    }
}
