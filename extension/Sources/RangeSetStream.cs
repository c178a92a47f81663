namespace ExtensionCache.Extension.Sources;

/// <summary>
/// A delta: a forward-only stream over chosen ranges of an object, when only some entries of a zip are needed.
/// Ranges closer than <see cref="MergeGapBytes"/> are merged into one request (a gap costs less than another
/// request's latency, and S3 serves one range per GET); a merged run is cut into pieces of the size a full fetch's
/// parts would have for the bytes to fetch (<see cref="PartPlan.PieceSize"/>), so a large delta or resume uses every
/// request in flight, and read through an <see cref="OrderedRangeReader"/> like a full fetch's parts (same
/// concurrency, stall timeout, pooled buffers and clock). <see cref="Position"/> is the offset in the whole object:
/// the reader moves it across what was not fetched with <see cref="SkipAsync"/> and reads only inside the ranges.
/// No SHA-256: the object is not read whole.
/// </summary>
public sealed class RangeSetStream : ArchiveStream
{
    /// <summary>Ranges at most this far apart are fetched as one.</summary>
    public const long MergeGapBytes = 1024 * 1024;

    private readonly long _length;
    private readonly OrderedRangeReader _pieces;
    private RangePart? _current;
    private long _position;
    private bool _disposed;

    public RangeSetStream(
        IBundleSource source, SourceInfo info, IEnumerable<ObjectRange> ranges, int partSize, int concurrency, RetryPolicy retry, CancellationToken ct, TimeSpan? stallTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(ranges);
        _length = info.Length;
        Runs = Merge(ranges, MergeGapBytes);
        var pieceSize = PartPlan.PieceSize(Runs.Sum(r => r.Length), partSize, concurrency);
        _pieces = new OrderedRangeReader(source, info, Split(Runs, pieceSize), concurrency, retry, ct, stallTimeout);
    }

    /// <summary>The merged runs, in order: one or more requests each.</summary>
    public IReadOnlyList<ObjectRange> Runs { get; }

    /// <summary>The bytes received so far.</summary>
    public long FetchedBytes => _pieces.FetchedBytes;

    /// <summary>The requests made (one per piece, retries not counted).</summary>
    public int Requests => _pieces.Requests;

    /// <summary>The time until the last byte of the last piece arrived.</summary>
    public TimeSpan DownloadTime => _pieces.DownloadTime;

    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    /// <summary>Sorted, overlapping and near ranges merged (gap at most <paramref name="maxGap"/>), empty ones dropped.</summary>
    public static List<ObjectRange> Merge(IEnumerable<ObjectRange> ranges, long maxGap)
    {
        var merged = new List<ObjectRange>();
        foreach (var r in ranges.Where(r => r.Length > 0).OrderBy(r => r.Offset))
        {
            if (merged.Count > 0 && r.Offset - merged[^1].End <= maxGap)
            {
                var last = merged[^1];
                merged[^1] = new ObjectRange(last.Offset, Math.Max(last.End, r.End) - last.Offset);
            }
            else
            {
                merged.Add(r);
            }
        }

        return merged;
    }

    /// <summary>Moves forward by <paramref name="count"/> bytes without reading them (they may not have been fetched).</summary>
    public override ValueTask SkipAsync(long count, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        _position += Math.Min(count, _length - _position);
        return ValueTask.CompletedTask;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_current is not { } piece || _position >= piece.Range.End)
        {
            if (_current is { } done)
            {
                _pieces.Return(done);
                _current = null;
            }

            // A piece wholly skipped (a merged gap) is given back unread.
            var next = _pieces.Next();
            if (next is null)
            {
                return 0;
            }

            _current = next;
        }

        var current = _current;
        if (_position < current.Range.Offset)
        {
            throw new InvalidOperationException($"read at offset {_position}, which no requested range covers");
        }

        var from = (int)(_position - current.Range.Offset);
        var readable = current.Filled;
        if (readable <= from)
        {
            readable = await current.ReadableAsync(from, cancellationToken).ConfigureAwait(false);
        }

        var n = Math.Min(buffer.Length, readable - from);
        current.Buffer.AsMemory(from, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            if (_current is { } current)
            {
                _pieces.Return(current);
                _current = null;
            }

            await _pieces.DisposeAsync().ConfigureAwait(false);
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        base.Dispose(disposing);
    }

    private static List<ObjectRange> Split(IReadOnlyList<ObjectRange> runs, long pieceSize)
    {
        var pieces = new List<ObjectRange>();
        foreach (var run in runs)
        {
            for (var offset = run.Offset; offset < run.End; offset += pieceSize)
            {
                pieces.Add(new ObjectRange(offset, Math.Min(pieceSize, run.End - offset)));
            }
        }

        return pieces;
    }
}
