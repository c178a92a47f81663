using System.Buffers.Binary;
using ExtensionCache.Extension.Failures;

namespace ExtensionCache.Extension.Archives;

/// <summary>
/// A pass-through stream that refuses a zstd archive whose first frame has no content checksum: without it a
/// corrupted byte inflates to wrong content that nothing detects (tar checksums cover headers, not data). The
/// <c>zstd</c> tool writes the checksum by default; some libraries do not. A bundle pinned with <c>#sha256=</c>
/// is verified as a whole and does not need it. Hand-written: ZstdSharp does not expose the frame header.
/// </summary>
public sealed class ZstdChecksumRequirement(Stream inner) : Stream
{
    private const uint FrameMagic = 0xFD2FB528;
    private const int HeaderBytes = 5; // magic (4) + frame header descriptor (1)
    private const byte ChecksumFlag = 0x04;

    private readonly byte[] _header = new byte[HeaderBytes];
    private int _seen;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Inspect(buffer.Span[..n]);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(Span<byte> buffer)
    {
        var n = inner.Read(buffer);
        Inspect(buffer[..n]);
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private void Inspect(ReadOnlySpan<byte> read)
    {
        if (_seen >= HeaderBytes)
        {
            return;
        }

        var take = Math.Min(HeaderBytes - _seen, read.Length);
        read[..take].CopyTo(_header.AsSpan(_seen));
        _seen += take;
        if (_seen < HeaderBytes)
        {
            // Too short to be a zstd frame: the decompressor reports that as corruption.
            return;
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(_header) == FrameMagic && (_header[4] & ChecksumFlag) == 0)
        {
            throw new BundleException(
                FailureKind.BundleIntegrity,
                "the tar.zst was written without zstd's content checksum, so a corrupted byte could not be detected; "
                + "re-create it with the checksum (the zstd tool's default; e.g. python-zstandard write_checksum=True) or pin it with #sha256=");
        }
    }
}
