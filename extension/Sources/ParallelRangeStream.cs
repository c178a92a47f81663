using System.Buffers;
using System.Security.Cryptography;
using ExtensionCache.Extension.Failures;

namespace ExtensionCache.Extension.Sources;

/// <summary>
/// A forward-only stream over a whole object, fetched as ordered parts with up to <c>concurrency</c> ranged
/// requests in flight (one sequential GET when the source has no ranges), laid out by a <see cref="PartPlan"/>; the
/// tail the probe already fetched is served from memory, not requested again. Each request holds a slot of the
/// retry policy's <see cref="InFlightController"/>, so throttling lowers how many are really in flight. Each part is read completely into a
/// pooled buffer inside its retry, so a dropped connection costs one part, not the download. Memory stays at or
/// below concurrency × part size. SHA-256 is computed over the bytes as they are consumed.
/// Only the asynchronous read path is supported: the archive readers are async all the way.
/// </summary>
public sealed class ParallelRangeStream : ReadOnlyStream
{
    private readonly IBundleSource _source;
    private readonly SourceInfo _info;
    private readonly long _length;
    private readonly PartPlan _plan;
    private readonly int _concurrency;
    private readonly RetryPolicy _retry;
    private readonly TimeProvider _time;
    private readonly TimeSpan _stallTimeout;
    private readonly CancellationTokenSource _cts;
    private readonly Queue<Task<byte[]>> _inFlight = new();
    // A pool of this download's own: its part buffers become garbage with the stream instead of staying
    // cached in the shared pool (and in the extension's RSS) for the rest of the sandbox's life.
    private readonly ArrayPool<byte> _pool;
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly long _started;
    private readonly int _partCount;
    private int _nextPart;
    private int _fetchedParts;
    private byte[]? _current;
    private int _currentLength;
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
        TimeProvider time,
        CancellationToken ct,
        TimeSpan? stallTimeout = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        _source = source;
        _info = info;
        _length = info.Length;
        _concurrency = info.SupportsRanges ? concurrency : 1;
        var tail = info.SupportsRanges && info.Tail.Length <= info.Length ? info.Tail.Length : 0;
        _plan = new PartPlan(info.SupportsRanges ? info.Length : 0, partSize, _concurrency, tail);
        _retry = retry;
        _time = time;
        _stallTimeout = stallTimeout ?? TimeSpan.FromSeconds(5);
        _cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _pool = ArrayPool<byte>.Create(maxArrayLength: Math.Max(Math.Max(_plan.MaxPartLength, _plan.TailBytes), 16), maxArraysPerBucket: Math.Max(concurrency, 1) + 1);
        _started = time.GetTimestamp();
        _lastByteTimestamp = _started;
        _partCount = _plan.Count + (_plan.TailBytes > 0 ? 1 : 0);
        SupportsRanges = info.SupportsRanges;
        for (var i = 0; i < _concurrency - 1 && i < _partCount; i++)
        {
            StartNextPart();
        }
    }

    public bool SupportsRanges { get; }

    /// <summary>Ranged requests this download makes when none is retried (the probed tail is not requested again).</summary>
    public int PlannedRequests => SupportsRanges ? _plan.Count : 1;

    /// <summary>Time from the first request until the last byte of the object arrived.</summary>
    public TimeSpan DownloadTime => _time.GetElapsedTime(_started, _lastByteTimestamp);

    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    /// <summary>Reads whatever the consumer left unread (for example a zip's central directory), then returns the SHA-256 of the whole object.</summary>
    public async Task<byte[]> DrainAndHashAsync(CancellationToken ct)
    {
        var scratch = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            while (await ReadAsync(scratch, ct).ConfigureAwait(false) > 0)
            {
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }

        await _hashChain.ConfigureAwait(false);
        return _sha256.GetHashAndReset();
    }

    public override int Read(Span<byte> buffer) =>
        throw new NotSupportedException("ParallelRangeStream is read asynchronously only.");

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0 || _position >= _length)
        {
            return 0;
        }

        int n;
        if (!SupportsRanges)
        {
            n = await ReadSequentialAsync(buffer, cancellationToken).ConfigureAwait(false);
            _sha256.AppendData(buffer.Span[..n]);
        }
        else
        {
            if (_current is null || _currentOffset == _currentLength)
            {
                await AdvancePartAsync().ConfigureAwait(false);
            }

            n = Math.Min(buffer.Length, _currentLength - _currentOffset);
            _current.AsSpan(_currentOffset, n).CopyTo(buffer.Span);
            _currentOffset += n;
        }

        _position += n;
        return n;
    }

    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            await _cts.CancelAsync().ConfigureAwait(false);
            while (_inFlight.TryDequeue(out var task))
            {
                try
                {
                    _pool.Return(await task.ConfigureAwait(false));
                }
                catch (Exception)
                {
                    // The download is being abandoned; its failure was or will be reported by the reader.
                }
            }

            if (_sequential is not null)
            {
                await _sequential.DisposeAsync().ConfigureAwait(false);
                _sequential = null;
            }

            await _hashChain.ConfigureAwait(false);
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _cts.Cancel();

            // Parts still in flight return their buffers to the pool when they finish or fail.
            foreach (var task in _inFlight)
            {
                task.ContinueWith(
                    t => _pool.Return(t.Result),
                    CancellationToken.None,
                    TaskContinuationOptions.OnlyOnRanToCompletion,
                    TaskScheduler.Default);
            }

            _inFlight.Clear();
            var current = _current;
            _current = null;
            var sha256 = _sha256;
            _hashChain.ContinueWith(
                _ =>
                {
                    if (current is not null)
                    {
                        _pool.Return(current);
                    }

                    sha256.Dispose();
                },
                CancellationToken.None,
                TaskContinuationOptions.None,
                TaskScheduler.Default);
            _sequential?.Dispose();
            _cts.Dispose();
        }

        base.Dispose(disposing);
    }

    private async Task<int> ReadSequentialAsync(Memory<byte> buffer, CancellationToken ct)
    {
        _sequential ??= await _retry.ExecuteAsync(
            (_, token) => _source.OpenRangeAsync(_info, 0, _length, token),
            $"GET {_source.DisplayName}",
            _cts.Token).ConfigureAwait(false);
        var want = (int)Math.Min(buffer.Length, _length - _position);
        int n;
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(ct, _cts.Token);
        stall.CancelAfter(_stallTimeout);
        try
        {
            n = await _sequential.ReadAsync(buffer[..want], stall.Token).ConfigureAwait(false);
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
            _lastByteTimestamp = _time.GetTimestamp();
        }

        return n;
    }

    private async Task AdvancePartAsync()
    {
        // The consumed part's buffer goes back (once hashed) before the next request starts, so at most
        // `concurrency` buffers are alive: the one being read and the ones in flight.
        if (_current is not null)
        {
            await _hashChain.ConfigureAwait(false);
            _pool.Return(_current);
            _current = null;
        }

        if (_nextPart < _partCount)
        {
            StartNextPart();
        }

        if (!_inFlight.TryDequeue(out var next))
        {
            throw new InvalidOperationException("No part left although the object is not finished.");
        }

        var part = await next.ConfigureAwait(false);
        var index = _fetchedParts++;
        var length = index < _plan.Count ? _plan.Length(index) : _plan.TailBytes;
        _current = part;
        _currentLength = length;
        _currentOffset = 0;
        _hashChain = Task.Run(() => _sha256.AppendData(part, 0, length));
    }

    private void StartNextPart()
    {
        var index = _nextPart++;
        if (index == _plan.Count)
        {
            // The probe's tail: already here.
            var tail = _pool.Rent(_plan.TailBytes);
            _info.Tail.Span.CopyTo(tail);
            _inFlight.Enqueue(Task.FromResult(tail));
            return;
        }

        var offset = _plan.Offset(index);
        var length = _plan.Length(index);
        _inFlight.Enqueue(Task.Run(() => FetchPartAsync(index, offset, length), _cts.Token));
    }

    private async Task<byte[]> FetchPartAsync(int index, long offset, int length)
    {
        var buffer = _pool.Rent(length);
        try
        {
            await _retry.ExecuteAsync(
                async (_, ct) =>
                {
                    // A part that stalls (no byte for the stall timeout, e.g. after a freeze longer than the
                    // server's patience) is abandoned and re-requested rather than waited on; a slow part that
                    // keeps moving is left alone.
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    timeout.CancelAfter(_stallTimeout);
                    var read = 0;
                    try
                    {
                        await using var body = await _source.OpenRangeAsync(_info, offset, length, timeout.Token).ConfigureAwait(false);
                        while (read < length)
                        {
                            var n = await body.ReadAsync(buffer.AsMemory(read, length - read), timeout.Token).ConfigureAwait(false);
                            timeout.CancelAfter(_stallTimeout);
                            if (n == 0)
                            {
                                throw new TransientSourceException(
                                    $"{_source.DisplayName}: part {index} ended after {read} of {length} bytes");
                            }

                            read += n;
                        }
                    }
                    catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
                    {
                        throw new TransientSourceException(
                            $"{_source.DisplayName}: part {index} stalled (no byte for {_stallTimeout.TotalSeconds:0.#} s after {read} of {length} bytes)",
                            ex);
                    }

                    return read;
                },
                $"GET {_source.DisplayName} bytes {offset}-{offset + length - 1}",
                _cts.Token).ConfigureAwait(false);
            if (index == _plan.Count - 1)
            {
                _lastByteTimestamp = _time.GetTimestamp();
            }

            return buffer;
        }
        catch
        {
            _pool.Return(buffer);
            throw;
        }
    }
}
