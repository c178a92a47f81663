using System.Buffers;

namespace ExtensionCache.Extension.Sources;

/// <summary>A byte range of the source object.</summary>
public readonly record struct ObjectRange(long Offset, long Length)
{
    public long End => Offset + Length;
}

/// <summary>
/// Fetches chosen ranges of one object for a reader that consumes them in order: the full fetch's parts
/// (<see cref="ParallelRangeStream"/>) and a delta's ranges (<see cref="RangeSetStream"/>) both read through it. Up to
/// <c>concurrency</c> ranges are alive at once, the one being read included, each filling a buffer of this reader's own
/// pool. The reader reads a range's bytes as they arrive (<see cref="RangePart.ReadableAsync"/>), so unpacking starts
/// with the first bytes, not the first whole range, and an attempt cut short by a kill or a timeout has written
/// everything it received. A request that fails or stalls (no byte for the stall timeout, on the retry policy's clock:
/// after a freeze longer than the server's patience, say) is made again from the first byte not yet received, so a
/// dropped connection costs what was in flight on it, not the range. A range inside the object's tail the caller
/// already holds (<see cref="SourceInfo.Tail"/>) is served from memory. Memory stays at or below concurrency × the
/// largest range.
/// </summary>
public sealed class OrderedRangeReader : IAsyncDisposable
{
    /// <summary>How long a request may go without a byte before it is made again.</summary>
    public static readonly TimeSpan DefaultStallTimeout = TimeSpan.FromSeconds(5);

    private readonly IBundleSource _source;
    private readonly SourceInfo _info;
    private readonly IReadOnlyList<ObjectRange> _ranges;
    private readonly int _concurrency;
    private readonly RetryPolicy _retry;
    private readonly TimeSpan _stallTimeout;
    private readonly CancellationTokenSource _cts;
    private readonly Queue<RangePart> _ahead = new();

    // A pool of this reader's own: its buffers become garbage with it instead of staying cached in the shared pool
    // (and in the extension's RSS) for the rest of the sandbox's life.
    private readonly ArrayPool<byte> _pool;
    private readonly long _started;
    private int _startedRanges;
    private long _fetched;
    private long _lastByte;
    private bool _disposed;

    public OrderedRangeReader(
        IBundleSource source, SourceInfo info, IReadOnlyList<ObjectRange> ranges, int concurrency, RetryPolicy retry, CancellationToken ct, TimeSpan? stallTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(ranges);
        ArgumentNullException.ThrowIfNull(retry);
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        _source = source;
        _info = info;
        _ranges = ranges;
        _concurrency = concurrency;
        _retry = retry;
        _stallTimeout = stallTimeout ?? DefaultStallTimeout;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var largest = ranges.Count == 0 ? 16 : (int)Math.Max(16, ranges.Max(r => r.Length));
        _pool = ArrayPool<byte>.Create(maxArrayLength: largest, maxArraysPerBucket: concurrency + 1);
        _started = retry.Time.GetTimestamp();
        _lastByte = _started;

        // Requests start now, so bytes arrive while the reader gets ready; one slot stays for the range being read.
        while (_ahead.Count < _concurrency - 1 && StartNext())
        {
        }
    }

    /// <summary>Bytes received from the source so far (ranges served from the known tail not counted).</summary>
    public long FetchedBytes => Interlocked.Read(ref _fetched);

    /// <summary>Requests this reader makes when none is retried (ranges served from the known tail not counted).</summary>
    public int Requests => _ranges.Count(r => !InKnownTail(r));

    /// <summary>Time from the first request until the last byte received so far.</summary>
    public TimeSpan DownloadTime => _retry.Time.GetElapsedTime(_started, Interlocked.Read(ref _lastByte));

    /// <summary>
    /// The next range, its bytes arriving, or null after the last. The caller gives it back with <see cref="Return"/>
    /// once it has read it, before it asks for the next one: at most <c>concurrency</c> buffers are then alive.
    /// </summary>
    public RangePart? Next()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (_ahead.Count < _concurrency && StartNext())
        {
        }

        return _ahead.TryDequeue(out var part) ? part : null;
    }

    /// <summary>Gives a range's buffer back once it is read whole (or its fetch has ended).</summary>
    public void Return(RangePart part)
    {
        ArgumentNullException.ThrowIfNull(part);
        _ = part.Fetch.ContinueWith(_ => _pool.Return(part.Buffer), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _cts.CancelAsync().ConfigureAwait(false);
        while (_ahead.TryDequeue(out var part))
        {
            // An abandoned range: its fetch ends on the cancellation (its failure no longer matters).
            await part.Fetch.ConfigureAwait(false);
            _pool.Return(part.Buffer);
        }

        _cts.Dispose();
    }

    private bool InKnownTail(ObjectRange range) => range.Offset >= _info.Length - _info.Tail.Length && range.End <= _info.Length;

    private bool StartNext()
    {
        if (_startedRanges == _ranges.Count)
        {
            return false;
        }

        var range = _ranges[_startedRanges++];
        var part = new RangePart(range, _pool.Rent((int)range.Length));
        if (InKnownTail(range))
        {
            _info.Tail.Span.Slice((int)(range.Offset - (_info.Length - _info.Tail.Length)), (int)range.Length).CopyTo(part.Buffer);
            part.Received((int)range.Length);
            part.Fetch = Task.CompletedTask;
        }
        else
        {
            part.Fetch = Task.Run(() => FetchAsync(part));
        }

        _ahead.Enqueue(part);
        return true;
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031", Justification = "A range's failure is handed to the reader, which rethrows it.")]
    private async Task FetchAsync(RangePart part)
    {
        var range = part.Range;
        var length = (int)range.Length;
        try
        {
            await _retry.ExecuteAsync(
                async (_, ct) =>
                {
                    using var stall = new CancellationTokenSource(_stallTimeout, _retry.Time);
                    using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct, stall.Token);
                    var from = part.Filled;
                    try
                    {
                        var body = await _source.OpenRangeAsync(_info, range.Offset + from, length - from, bounded.Token).ConfigureAwait(false);
                        await using (body.ConfigureAwait(false))
                        {
                            while (part.Filled < length)
                            {
                                var n = await body.ReadAsync(part.Buffer.AsMemory(part.Filled, length - part.Filled), bounded.Token).ConfigureAwait(false);
                                stall.CancelAfter(_stallTimeout);
                                if (n == 0)
                                {
                                    throw new TransientSourceException(
                                        $"{_source.DisplayName}: bytes {range.Offset}-{range.End - 1} ended after {part.Filled} of {length} bytes");
                                }

                                Interlocked.Add(ref _fetched, n);
                                Interlocked.Exchange(ref _lastByte, _retry.Time.GetTimestamp());
                                part.Received(n);
                            }
                        }
                    }
                    catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
                    {
                        throw new TransientSourceException(
                            $"{_source.DisplayName}: bytes {range.Offset}-{range.End - 1} stalled (no byte for {_stallTimeout.TotalSeconds:0.#} s after {part.Filled} of {length} bytes)",
                            ex);
                    }

                    return length;
                },
                $"GET {_source.DisplayName} bytes {range.Offset}-{range.End - 1}",
                _cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The reader gets the failure where it waits for the bytes (RangePart.ReadableAsync).
            part.Failed(ex);
        }
    }
}

/// <summary>
/// One range an <see cref="OrderedRangeReader"/> fetches: its bytes fill <see cref="Buffer"/> from the start, and
/// <see cref="Filled"/> of them are there so far.
/// </summary>
public sealed class RangePart
{
    private readonly Lock _gate = new();
    private int _filled;
    private Exception? _failure;
    private TaskCompletionSource? _waiting;

    internal RangePart(ObjectRange range, byte[] buffer)
    {
        Range = range;
        Buffer = buffer;
    }

    public ObjectRange Range { get; }

    public byte[] Buffer { get; }

    /// <summary>Bytes of the range received so far, from its start.</summary>
    public int Filled => Volatile.Read(ref _filled);

    internal Task Fetch { get; set; } = Task.CompletedTask;

    /// <summary>
    /// How many bytes from the range's start can be read, once more than <paramref name="read"/> are there: the reader has
    /// read <paramref name="read"/> already. Throws the fetch's failure if it ended before that.
    /// </summary>
    public async ValueTask<int> ReadableAsync(int read, CancellationToken ct)
    {
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                if (_filled > read || _filled == Range.Length)
                {
                    return _filled;
                }

                if (_failure is not null)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_failure);
                }

                _waiting ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _waiting.Task;
            }

            await wait.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    internal void Received(int count)
    {
        TaskCompletionSource? waiting;
        lock (_gate)
        {
            _filled += count;
            waiting = _waiting;
            _waiting = null;
        }

        waiting?.TrySetResult();
    }

    internal void Failed(Exception failure)
    {
        TaskCompletionSource? waiting;
        lock (_gate)
        {
            _failure = failure;
            waiting = _waiting;
            _waiting = null;
        }

        waiting?.TrySetResult();
    }
}
