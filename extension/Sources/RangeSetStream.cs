using System.Diagnostics;

namespace ExtensionCache.Extension.Sources;

/// <summary>A byte range of the source object.</summary>
public readonly record struct ObjectRange(long Offset, long Length)
{
    public long End => Offset + Length;
}

/// <summary>
/// A forward-only stream over chosen ranges of an object, for a delta update that needs only some entries of a
/// zip. Ranges closer than <see cref="MergeGapBytes"/> are merged into one request (a gap costs less than another
/// request's latency, and S3 serves one range per GET); a merged run is fetched in pieces of at least 8 MiB, up to
/// <c>concurrency</c> in flight, each read whole inside its retry. <see cref="Position"/> is the offset in the whole
/// object: the reader moves it forward across what was not fetched with <see cref="Skip"/>, and reads only inside
/// the ranges. No SHA-256: the object is not read whole.
/// </summary>
public sealed class RangeSetStream : ReadOnlyStream
{
    /// <summary>Ranges at most this far apart are fetched as one.</summary>
    public const long MergeGapBytes = 1024 * 1024;

    /// <summary>The smallest piece a long merged run is cut into.</summary>
    public const int MinPieceBytes = 8 * 1024 * 1024;

    private readonly IBundleSource _source;
    private readonly SourceInfo _info;
    private readonly RetryPolicy _retry;
    private readonly CancellationTokenSource _cts;
    private readonly List<ObjectRange> _pieces;
    private readonly Queue<Task<byte[]>> _inFlight = new();
    private readonly int _concurrency;
    private readonly long _started = Stopwatch.GetTimestamp();
    private int _nextPiece;
    private int _currentPiece = -1;
    private byte[]? _current;
    private long _position;
    private long _fetched;
    private long _lastByte;
    private bool _disposed;

    public RangeSetStream(IBundleSource source, SourceInfo info, IEnumerable<ObjectRange> ranges, int partSize, int concurrency, RetryPolicy retry, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        _source = source;
        _info = info;
        _retry = retry;
        _concurrency = concurrency;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Runs = Merge(ranges, MergeGapBytes);
        _pieces = Split(Runs, Math.Max(partSize, MinPieceBytes));
        _lastByte = _started;
    }

    /// <summary>The merged runs, in order: one or more requests each.</summary>
    public IReadOnlyList<ObjectRange> Runs { get; }

    /// <summary>The bytes this stream will request (the sum of <see cref="Runs"/>).</summary>
    public long PlannedBytes => Runs.Sum(r => r.Length);

    /// <summary>The bytes received so far.</summary>
    public long FetchedBytes => Interlocked.Read(ref _fetched);

    /// <summary>The requests made (one per piece, retries not counted).</summary>
    public int Requests => _pieces.Count;

    /// <summary>The time until the last byte of the last piece consumed arrived.</summary>
    public TimeSpan DownloadTime => Stopwatch.GetElapsedTime(_started, _lastByte);

    public override long Length => _info.Length;

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
    public void Skip(long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        _position += count;
    }

    public override int Read(Span<byte> buffer) => throw new NotSupportedException("only asynchronous reads are supported");

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_current is null || _position >= _pieces[_currentPiece].End)
        {
            if (_currentPiece + 1 >= _pieces.Count)
            {
                return 0;
            }

            _current = null;
            _currentPiece++;
            var piece = _pieces[_currentPiece];
            Refill();
            var task = _inFlight.Dequeue();
            if (piece.End <= _position)
            {
                // A piece wholly skipped (only when a gap was merged in): drop it unread.
                _ = task.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
                continue;
            }

            _current = await task.WaitAsync(cancellationToken).ConfigureAwait(false);
            _lastByte = Stopwatch.GetTimestamp();
        }

        var start = _pieces[_currentPiece].Offset;
        if (_position < start)
        {
            throw new InvalidOperationException($"read at offset {_position}, which no requested range covers");
        }

        var from = (int)(_position - start);
        var n = Math.Min(buffer.Length, _current.Length - from);
        _current.AsMemory(from, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync().ConfigureAwait(false);
        while (_inFlight.TryDequeue(out var task))
        {
            try
            {
                await task.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or TransientSourceException or Failures.BundleException or HttpRequestException)
            {
                // Abandoned pieces: their failure no longer matters.
            }
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _cts.Cancel();
            _cts.Dispose();
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

    /// <summary>Keeps up to concurrency pieces requested ahead of the reader, in order.</summary>
    private void Refill()
    {
        while (_nextPiece < _pieces.Count && (_inFlight.Count < _concurrency || _nextPiece <= _currentPiece))
        {
            var piece = _pieces[_nextPiece++];
            _inFlight.Enqueue(FetchAsync(piece));
        }
    }

    private Task<byte[]> FetchAsync(ObjectRange piece) =>
        _retry.ExecuteAsync(
            async (_, token) =>
            {
                var stream = await _source.OpenRangeAsync(_info, piece.Offset, piece.Length, token).ConfigureAwait(false);
                await using (stream.ConfigureAwait(false))
                {
                    var buffer = new byte[piece.Length];
                    var read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, token).ConfigureAwait(false);
                    if (read < buffer.Length)
                    {
                        throw new TransientSourceException($"short read of {_source.DisplayName} at {piece.Offset}: {read} of {piece.Length} bytes");
                    }

                    Interlocked.Add(ref _fetched, read);
                    return buffer;
                }
            },
            $"read {_source.DisplayName} bytes {piece.Offset}-{piece.End - 1}",
            _cts.Token);
}
