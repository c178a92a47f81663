using System.Buffers.Binary;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Extension.Sources;

namespace ExtensionCache.Extension.Archives;

/// <summary>
/// A pass-through stream that walks a zstd stream's frames as they go by (frame headers, block headers, skippable
/// frames; no decoding) and refuses, before the decoder sees them:
/// <list type="bullet">
/// <item>a data frame without a content checksum, unless the bundle is pinned by sha256: without it a corrupted
/// byte inflates to wrong content that nothing detects (tar checksums cover headers, not data). Every frame is
/// checked, so a multi-frame archive (pzstd, concatenated frames) cannot leave one unchecked.</item>
/// <item>a frame whose window is larger than <see cref="MaxWindowBytes"/>: the decoder holds the whole window in
/// memory, and a Lambda function can have 128 MB in all.</item>
/// </list>
/// Hand-written: ZstdSharp does not expose frame headers.
/// </summary>
public sealed class ZstdFrameInspector(Stream inner, bool requireChecksum) : ReadOnlyStream
{
    /// <summary>log2 of the largest window accepted: 32 MiB covers every level up to 19 and --ultra -20, and --long=25.</summary>
    public const int MaxWindowLog = 25;

    public const long MaxWindowBytes = 1L << MaxWindowLog;

    private const uint FrameMagic = 0xFD2FB528;
    private const uint SkippableMagicMask = 0xFFFFFFF0;
    private const uint SkippableMagic = 0x184D2A50;

    private readonly byte[] _field = new byte[14];
    private State _state = State.Magic;
    private State _afterSkip = State.Magic;
    private int _need = 4;
    private int _have;
    private long _skip;
    private bool _checksum;
    private int _frames;

    private enum State
    {
        Magic,
        SkippableSize,
        FrameDescriptor,
        FrameHeaderRest,
        BlockHeader,
        Skip,
        Done,
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Inspect(buffer.Span[..n]);
        return n;
    }

    public override int Read(Span<byte> buffer)
    {
        var n = inner.Read(buffer);
        Inspect(buffer[..n]);
        return n;
    }

    private void Inspect(ReadOnlySpan<byte> data)
    {
        while (data.Length > 0 && _state != State.Done)
        {
            if (_state == State.Skip)
            {
                var skipped = (int)Math.Min(_skip, data.Length);
                data = data[skipped..];
                _skip -= skipped;
                if (_skip == 0)
                {
                    Expect(_afterSkip);
                }

                continue;
            }

            var take = Math.Min(_need - _have, data.Length);
            data[..take].CopyTo(_field.AsSpan(_have));
            _have += take;
            data = data[take..];
            if (_have == _need)
            {
                Parsed(_field.AsSpan(0, _need));
            }
        }
    }

    private void Parsed(ReadOnlySpan<byte> field)
    {
        switch (_state)
        {
            case State.Magic:
                var magic = BinaryPrimitives.ReadUInt32LittleEndian(field);
                if (magic == FrameMagic)
                {
                    Expect(State.FrameDescriptor);
                }
                else if ((magic & SkippableMagicMask) == SkippableMagic)
                {
                    Expect(State.SkippableSize);
                }
                else
                {
                    // Not zstd (or trailing garbage): the decoder reports it as corruption.
                    _state = State.Done;
                }

                break;
            case State.SkippableSize:
                SkipThen(BinaryPrimitives.ReadUInt32LittleEndian(field), State.Magic);
                break;
            case State.FrameDescriptor:
                var descriptor = field[0];
                _checksum = (descriptor & 0x04) != 0;
                _frames++;
                if (requireChecksum && !_checksum)
                {
                    throw new BundleException(
                        FailureKind.BundleIntegrity,
                        $"the tar.zst was written without zstd's content checksum (frame {_frames}), so a corrupted byte could not be detected; "
                        + "re-create it with the checksum (the zstd tool's default; not pzstd --no-check; e.g. python-zstandard write_checksum=True) or pin it with #sha256=");
                }

                // The rest of the header: window descriptor, dictionary id, frame content size.
                var singleSegment = (descriptor & 0x20) != 0;
                _need = 1 + (singleSegment ? 0 : 1) + DictionaryIdBytes(descriptor) + ((descriptor >> 6) switch { 0 => singleSegment ? 1 : 0, 1 => 2, 2 => 4, _ => 8 });
                _state = State.FrameHeaderRest;
                if (_need == 1)
                {
                    Parsed(_field.AsSpan(0, 1));
                }

                break;
            case State.FrameHeaderRest:
                CheckWindow(field);
                Expect(State.BlockHeader);
                break;
            case State.BlockHeader:
                var header = field[0] | (field[1] << 8) | (field[2] << 16);
                var type = (header >> 1) & 3;
                if (type == 3)
                {
                    _state = State.Done; // reserved: the decoder reports it
                    break;
                }

                // Raw and compressed blocks carry Block_Size bytes; an RLE block one byte.
                var payload = type == 1 ? 1 : header >> 3;
                var last = (header & 1) != 0;
                SkipThen(payload + (last && _checksum ? 4 : 0), last ? State.Magic : State.BlockHeader);
                break;
        }
    }

    private static int DictionaryIdBytes(byte descriptor) => (descriptor & 3) switch { 0 => 0, 1 => 1, 2 => 2, _ => 4 };

    private void SkipThen(long count, State next)
    {
        if (count == 0)
        {
            Expect(next);
            return;
        }

        _skip = count;
        _afterSkip = next;
        _state = State.Skip;
    }

    private void Expect(State state)
    {
        _state = state;
        _need = state switch { State.FrameDescriptor => 1, State.BlockHeader => 3, _ => 4 };
        _have = 0;
    }

    /// <summary>The window a frame asks for: its window descriptor, or, for a single-segment frame, its content size.</summary>
    private static void CheckWindow(ReadOnlySpan<byte> header)
    {
        var descriptor = header[0];
        var singleSegment = (descriptor & 0x20) != 0;
        long window;
        if (!singleSegment)
        {
            var w = header[1];
            var log = 10 + (w >> 3);
            window = (1L << log) + ((1L << log) / 8 * (w & 7));
        }
        else
        {
            var fcs = header[(1 + DictionaryIdBytes(descriptor))..];
            window = (descriptor >> 6) switch
            {
                0 => fcs[0],
                1 => BinaryPrimitives.ReadUInt16LittleEndian(fcs) + 256L,
                2 => BinaryPrimitives.ReadUInt32LittleEndian(fcs),
                _ => (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(fcs), long.MaxValue),
            };
        }

        if (window > MaxWindowBytes)
        {
            throw new BundleException(
                FailureKind.BundleUnsupported,
                $"the tar.zst needs a zstd window of {Mebibytes(window)}, more than the {Mebibytes(MaxWindowBytes)} supported: the decoder keeps the whole window in memory, "
                + $"and a Lambda function may have 128 MB in all; re-compress without --long or --ultra (or with --long={MaxWindowLog} at most)");
        }
    }

    private static string Mebibytes(long bytes) => bytes >= 1 << 20 ? $"{bytes >> 20} MiB" : $"{bytes} bytes";
}
