using System.Buffers;
using System.Security.Cryptography;
using ExtensionCache.Extension.Failures;

namespace ExtensionCache.Extension.Sources;

/// <summary>
/// A full fetch: a forward-only stream over the whole object, read as the ordered parts of a <see cref="PartPlan"/>
/// through an <see cref="OrderedRangeReader"/> (one sequential GET when the source has no ranges). The object's tail
/// the caller already holds (the probe's, or a zip's whole central directory) is served from memory, so the archive
/// crosses the network once. Each request holds a slot of the retry policy's <see cref="InFlightController"/>, so
/// throttling lowers how many are really in flight. SHA-256 is computed over the bytes as they are consumed.
/// </summary>
public sealed class ParallelRangeStream : ArchiveStream
{
    private readonly IBundleSource _source;
    private readonly SourceInfo _info;
    private readonly long _length;
    private readonly RetryPolicy _retry;
    private readonly TimeSpan _stallTimeout;
    private readonly CancellationTokenSource _cts;
    private readonly OrderedRangeReader? _parts;
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly long _started;
    private RangePart? _current;
    private int _currentOffset;
    private long _position;
    private Stream? _sequential;
    private long _lastByteTimestamp;
    private bool _disposed;

    // SHA-256 of the ranged parts runs beside the consumer (the inflater), one part at a time in order.
    private Task _hashChain = Task.CompletedTask;

    public ParallelRangeStream(
        IBundleSource source,
        SourceInfo info,
        int partSize,
        int concurrency,
        RetryPolicy retry,
        CancellationToken ct,
        TimeSpan? stallTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(retry);
        ArgumentOutOfRangeException.ThrowIfNegative(partSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        _source = source;
        _info = info;
        _length = info.Length;
        _retry = retry;
        _stallTimeout = stallTimeout ?? OrderedRangeReader.DefaultStallTimeout;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _started = retry.Time.GetTimestamp();
        _lastByteTimestamp = _started;
        SupportsRanges = info.SupportsRanges;
        if (SupportsRanges)
        {
            var tail = info.Tail.Length <= info.Length ? info.Tail.Length : 0;
            var plan = new PartPlan(info.Length, partSize, concurrency, tail);
            var ranges = Enumerable.Range(0, plan.Count).Select(i => new ObjectRange(plan.Offset(i), plan.Length(i))).ToList();
            if (plan.TailBytes > 0)
            {
                ranges.Add(new ObjectRange(info.Length - plan.TailBytes, plan.TailBytes));
            }

            PlannedRequests = plan.Count;
            _parts = new OrderedRangeReader(source, info, ranges, concurrency, retry, _cts.Token, _stallTimeout);
        }
        else
        {
            PlannedRequests = 1;
        }
    }

    public bool SupportsRanges { get; }

    /// <summary>Requests this download makes when none is retried (the known tail is not requested again).</summary>
    public int PlannedRequests { get; }

    /// <summary>Time from the first request until the last byte of the object arrived.</summary>
    public TimeSpan DownloadTime => _parts?.DownloadTime ?? _retry.Time.GetElapsedTime(_started, _lastByteTimestamp);

    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    /// <summary>Reads whatever the consumer left unread (for example a zip's central directory), then returns the SHA-256 of the whole object.</summary>
    public async Task<byte[]> DrainAndHashAsync(CancellationToken ct)
    {
        await SkipAsync(long.MaxValue, ct).ConfigureAwait(false);
        await _hashChain.ConfigureAwait(false);
        return _sha256.GetHashAndReset();
    }

    /// <summary>Reads and hashes <paramref name="count"/> bytes (or up to the end), discarding them.</summary>
    public override async ValueTask SkipAsync(long count, CancellationToken ct)
    {
        var scratch = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            while (count > 0)
            {
                var n = await ReadAsync(scratch.AsMemory(0, (int)Math.Min(scratch.Length, count)), ct).ConfigureAwait(false);
                if (n == 0)
                {
                    return;
                }

                count -= n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0 || _position >= _length)
        {
            return 0;
        }

        int n;
        if (_parts is null)
        {
            n = await ReadSequentialAsync(buffer, cancellationToken).ConfigureAwait(false);
            _sha256.AppendData(buffer.Span[..n]);
        }
        else
        {
            if (_current is not { } current || _currentOffset == current.Range.Length)
            {
                current = await AdvancePartAsync(_parts).ConfigureAwait(false);
            }

            var readable = current.Filled;
            if (readable == _currentOffset)
            {
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _cts.Token);
                readable = await current.ReadableAsync(_currentOffset, linked.Token).ConfigureAwait(false);
            }

            n = Math.Min(buffer.Length, readable - _currentOffset);
            current.Buffer.AsSpan(_currentOffset, n).CopyTo(buffer.Span);
            _currentOffset += n;
        }

        _position += n;
        return n;
    }

    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            await _cts.CancelAsync().ConfigureAwait(false);
            try
            {
                await _hashChain.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException
                or TransientSourceException or BundleException)
            {
                // The download is being abandoned; the reader saw or will see its failure.
            }

            if (_parts is not null)
            {
                if (_current is { } current)
                {
                    _parts.Return(current);
                    _current = null;
                }

                await _parts.DisposeAsync().ConfigureAwait(false);
            }

            if (_sequential is not null)
            {
                await _sequential.DisposeAsync().ConfigureAwait(false);
            }

            _sha256.Dispose();
            _cts.Dispose();
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

    private async Task<RangePart> AdvancePartAsync(OrderedRangeReader parts)
    {
        // The part read whole goes back once it is hashed too, before the next part is asked for, so at most
        // `concurrency` buffers are alive: the one being read and the ones in flight.
        if (_current is { } done)
        {
            await _hashChain.ConfigureAwait(false);
            parts.Return(done);
            _current = null;
        }

        var next = parts.Next() ?? throw new InvalidOperationException("No part left although the object is not finished.");
        _current = next;
        _currentOffset = 0;
        var previous = _hashChain;
        _hashChain = Task.Run(() => HashWhenFetchedAsync(previous, next));
        return next;
    }

    /// <summary>Hashes <paramref name="part"/> once all of it has arrived, after the parts before it: beside the reader, in order.</summary>
    private async Task HashWhenFetchedAsync(Task previous, RangePart part)
    {
        await previous.ConfigureAwait(false);
        while (part.Filled < part.Range.Length)
        {
            await part.ReadableAsync(part.Filled, _cts.Token).ConfigureAwait(false);
        }

        _sha256.AppendData(part.Buffer, 0, (int)part.Range.Length);
    }

    private async Task<int> ReadSequentialAsync(Memory<byte> buffer, CancellationToken ct)
    {
        _sequential ??= await _retry.ExecuteAsync(
            (_, token) => _source.OpenRangeAsync(_info, 0, _length, token),
            $"GET {_source.DisplayName}",
            _cts.Token).ConfigureAwait(false);
        var want = (int)Math.Min(buffer.Length, _length - _position);
        int n;
        using var stall = new CancellationTokenSource(_stallTimeout, _retry.Time);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct, _cts.Token, stall.Token);
        try
        {
            n = await _sequential.ReadAsync(buffer[..want], bounded.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested && !_cts.IsCancellationRequested)
        {
            throw new BundleException(
                FailureKind.BundleFetchFailed,
                $"{_source.DisplayName}: no byte for {_stallTimeout.TotalSeconds:0.#} s at byte {_position} of {_length}, and the server does not support ranges to resume",
                ex);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            throw new BundleException(
                FailureKind.BundleFetchFailed,
                $"{_source.DisplayName}: the connection failed at byte {_position} of {_length} and the server does not support ranges to resume: {ex.Message}",
                ex);
        }

        if (n == 0)
        {
            throw new BundleException(
                FailureKind.BundleFetchFailed,
                $"{_source.DisplayName}: the body ended at byte {_position} of {_length}");
        }

        if (_position + n == _length)
        {
            _lastByteTimestamp = _retry.Time.GetTimestamp();
        }

        return n;
    }
}
