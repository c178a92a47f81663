using System.Buffers.Binary;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Extension.Sources;

namespace ExtensionCache.Extension.Archives;

/// <summary>
/// A pass-through stream that walks a zstd stream's frames as they go by (frame headers, block headers, skippable
/// frames; no decoding; the format's facts are in <see cref="ZstdFrame"/>) and refuses, before the decoder sees them:
/// <list type="bullet">
/// <item>a data frame without a content checksum, when <paramref name="requireChecksum"/> (an unpinned tar.zst):
/// without it a corrupted byte inflates to wrong content that nothing detects (tar checksums cover headers, not
/// data). Every frame is checked, so a multi-frame archive (pzstd, concatenated frames) cannot leave one unchecked.
/// A zip entry needs none: its CRC-32 covers the content.</item>
/// <item>a frame whose window is larger than <see cref="ZstdFrame.MaxWindowBytes"/>: the decoder holds the whole
/// window in memory, and a Lambda function can have 128 MB in all.</item>
/// <item>with <paramref name="checkSeekTable"/> (zip entries), a seek table that does not describe the frames
/// before it (<see cref="ZstdSeekTable.Check"/>).</item>
/// </list>
/// <paramref name="subject"/> names what is inspected in messages ("the tar.zst", "entry 'x'").
/// </summary>
public sealed class ZstdFrameInspector(Stream inner, bool requireChecksum, string subject = "the tar.zst", bool checkSeekTable = false) : ReadOnlyStream
{
    /// <summary>log2 of the largest window accepted (see <see cref="ZstdFrame.MaxWindowLog"/>).</summary>
    public const int MaxWindowLog = ZstdFrame.MaxWindowLog;

    public const long MaxWindowBytes = ZstdFrame.MaxWindowBytes;

    private readonly byte[] _field = new byte[ZstdFrame.MaxHeaderBytes];
    private readonly List<ZstdFrameSizes> _frames = [];
    private State _state = State.Magic;
    private State _afterSkip = State.Magic;
    private int _need = 4;
    private int _have;
    private long _skip;
    private bool _checksum;
    private int _dataFrames;

    // Where the current frame started (bytes inspected so far), what it is, and its decoded size when stated.
    private long _position;
    private long _frameStart;
    private FrameKind _frameKind;
    private long? _frameDecoded;

    // A skippable frame that may be a seek table: its content (or only its footer, when too long to describe the frames before it).
    private byte[]? _table;
    private long _tableBytes;
    private long _tableCaptureFrom;

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

    private enum FrameKind
    {
        None,
        Data,
        Skippable,
        SeekTable,
    }

    /// <summary>Every frame inspected so far, a seek table excepted.</summary>
    public IReadOnlyList<ZstdFrameSizes> Frames => _frames;

    /// <summary>Data frames inspected so far (skippable frames not counted).</summary>
    public int DataFrames => _dataFrames;

    /// <summary>Whether a seek table (checked against the frames before it) was seen.</summary>
    public bool SawSeekTable { get; private set; }

    /// <summary>Inspects a zip entry's zstd data held in memory, as a decoder would meet it: window limit and seek table.</summary>
    public static void Check(ReadOnlySpan<byte> data, string subject)
    {
        using var inspector = new ZstdFrameInspector(Null, requireChecksum: false, subject, checkSeekTable: true);
        inspector.Inspect(data);
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
                if (_table is not null)
                {
                    CaptureTable(data[..skipped]);
                }

                data = data[skipped..];
                _skip -= skipped;
                _position += skipped;
                if (_skip == 0)
                {
                    Expect(_afterSkip);
                }

                continue;
            }

            var take = Math.Min(_need - _have, data.Length);
            data[..take].CopyTo(_field.AsSpan(_have));
            _have += take;
            _position += take;
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
                _frameStart = _position - 4;
                if (magic == ZstdFrame.Magic)
                {
                    _frameKind = FrameKind.Data;
                    Expect(State.FrameDescriptor);
                }
                else if (ZstdFrame.IsSkippable(magic))
                {
                    _frameKind = checkSeekTable && magic == ZstdSeekTable.SkippableMagic ? FrameKind.SeekTable : FrameKind.Skippable;
                    Expect(State.SkippableSize);
                }
                else
                {
                    // Not zstd (or trailing garbage): the decoder reports it as corruption.
                    _frameKind = FrameKind.None;
                    _state = State.Done;
                }

                break;
            case State.SkippableSize:
                var size = BinaryPrimitives.ReadUInt32LittleEndian(field);
                if (_frameKind == FrameKind.SeekTable)
                {
                    _tableBytes = size;
                    _tableCaptureFrom = size <= ZstdSeekTable.MaxTableBytes(_frames.Count) ? 0 : size - ZstdSeekTable.FooterBytes;
                    _table = new byte[size - _tableCaptureFrom];
                }

                SkipThen(size, State.Magic);
                break;
            case State.FrameDescriptor:
                var descriptor = field[0];
                _checksum = ZstdFrame.HasChecksum(descriptor);
                _dataFrames++;
                if (requireChecksum && !_checksum)
                {
                    throw new BundleException(
                        FailureKind.BundleIntegrity,
                        $"{subject} was written without zstd's content checksum (frame {_dataFrames}), so a corrupted byte could not be detected; "
                        + "re-create it with the checksum (the zstd tool's default; not pzstd --no-check; e.g. python-zstandard write_checksum=True) or pin it with #sha256=");
                }

                // The rest of the header: window descriptor, dictionary id, frame content size.
                _need = 1 + ZstdFrame.HeaderBytesAfterDescriptor(descriptor);
                _state = State.FrameHeaderRest;
                if (_need == 1)
                {
                    Parsed(_field.AsSpan(0, 1));
                }

                break;
            case State.FrameHeaderRest:
                ZstdFrame.CheckWindow(field, subject);
                _frameDecoded = ZstdFrame.ContentSize(field);
                Expect(State.BlockHeader);
                break;
            case State.BlockHeader:
                var (type, payload, last) = ZstdFrame.Block(field);
                if (type == 3)
                {
                    _state = State.Done; // reserved: the decoder reports it
                    break;
                }

                SkipThen(payload + (last && _checksum ? ZstdFrame.ChecksumBytes : 0), last ? State.Magic : State.BlockHeader);
                break;
        }
    }

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
        if (state == State.Magic && _frameKind != FrameKind.None)
        {
            FrameEnded();
        }

        _state = state;
        _need = state switch { State.FrameDescriptor => 1, State.BlockHeader => ZstdFrame.BlockHeaderBytes, _ => 4 };
        _have = 0;
    }

    private void FrameEnded()
    {
        var kind = _frameKind;
        _frameKind = FrameKind.None;
        if (kind == FrameKind.SeekTable)
        {
            var table = _table!;
            _table = null;
            if (ZstdSeekTable.Check(table, _tableBytes, _frames, subject))
            {
                SawSeekTable = true;
                return;
            }
        }

        _frames.Add(new ZstdFrameSizes(_position - _frameStart, kind == FrameKind.Data ? _frameDecoded : 0));
        _frameDecoded = null;
    }

    /// <summary>Keeps the bytes of a possible seek table's content that <see cref="ZstdSeekTable.Check"/> needs.</summary>
    private void CaptureTable(ReadOnlySpan<byte> chunk)
    {
        var offset = _tableBytes - _skip; // where this chunk starts within the content
        var from = Math.Max(offset, _tableCaptureFrom);
        var to = offset + chunk.Length;
        if (to > from)
        {
            chunk[(int)(from - offset)..].CopyTo(_table.AsSpan((int)(from - _tableCaptureFrom)));
        }
    }
}
