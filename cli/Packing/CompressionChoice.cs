using System.IO.Compression;

namespace ExtensionCache.Cli.Packing;

/// <summary>
/// Whether a file is worth deflating (<c>pack --method deflate</c>): stored when its extension names
/// already-compressed content, or when deflating a 64 KiB probe of it saves less than 5 % (compressed / original
/// &gt; 0.95); deflated otherwise. The probe is <see cref="ProbeSamples"/> pieces spread over the file, so a binary
/// that starts with incompressible bytes is not stored whole for it. A deflated entry that came out no smaller than
/// its content is stored after all.
/// </summary>
public static class CompressionChoice
{
    public const int ProbeBytes = 64 * 1024;
    public const int ProbeSamples = 4;
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

    /// <summary>The probe of <paramref name="length"/> bytes: <see cref="ProbeSamples"/> pieces at evenly spread offsets (the whole file when it is no larger than the probe).</summary>
    public static IEnumerable<(long Offset, int Length)> ProbeRanges(long length)
    {
        if (length <= ProbeBytes)
        {
            yield return (0, (int)length);
            yield break;
        }

        const int piece = ProbeBytes / ProbeSamples;
        for (var i = 0; i < ProbeSamples; i++)
        {
            yield return ((length - piece) * i / (ProbeSamples - 1), piece);
        }
    }

    /// <summary>True when deflating the probe of <paramref name="content"/> saves less than 5 %.</summary>
    public static bool ProbeSaysStore(ReadOnlySpan<byte> content)
    {
        var probe = new byte[Math.Min(content.Length, ProbeBytes)];
        var at = 0;
        foreach (var (offset, length) in ProbeRanges(content.Length))
        {
            content.Slice((int)offset, length).CopyTo(probe.AsSpan(at));
            at += length;
        }

        return SampleSaysStore(probe);
    }

    /// <summary>True when deflating <paramref name="probe"/> (the bytes of <see cref="ProbeRanges"/>, already read) saves less than 5 %.</summary>
    public static bool SampleSaysStore(byte[] probe)
    {
        ArgumentNullException.ThrowIfNull(probe);
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
