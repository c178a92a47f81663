using System.Buffers;
using System.IO.Compression;
using System.Threading.Channels;
using ExtensionCache.Extension.Failures;

namespace ExtensionCache.Extension.Archives;

/// <summary>
/// One small file of a bundle, claimed in the target and read whole into memory, waiting for a worker.
/// <paramref name="Data"/> is rented from the pool; <paramref name="Crc32"/> is null when the format has none (tar).
/// </summary>
public sealed record EntryWrite(
    string Entry,
    string Path,
    byte[] Data,
    int Length,
    bool Deflated,
    long DeclaredSize,
    uint? Crc32,
    UnixFileMode? Mode,
    DateTimeOffset? Modified);

/// <summary>
/// Writes small files on worker tasks while the archive reader moves on: the reader checks each entry and claims
/// its path in archive order, reads its (compressed) bytes into a pooled buffer and queues it; a worker inflates,
/// writes and verifies it. On a bundle of many small files (node_modules) creating and writing files is the
/// bottleneck, and it spreads across cores; a large entry is streamed by the reader itself, never buffered.
/// Memory held is capped: at most <see cref="QueuedPerWorker"/> entries per worker of at most
/// <see cref="MaxBufferedEntryBytes"/> each. The first failure stops every worker and is rethrown to the reader.
/// </summary>
public sealed class EntryWriterPool : IAsyncDisposable
{
    /// <summary>Entries up to this size (as stored in the archive) are buffered and written by a worker.</summary>
    public const int MaxBufferedEntryBytes = 256 * 1024;

    private const int QueuedPerWorker = 16;

    private readonly ExtractionTarget _target;
    private readonly Channel<EntryWrite> _queue;
    private readonly CancellationTokenSource _cts;
    private readonly ArrayPool<byte> _buffers;
    private readonly Task[] _workers;
    private Exception? _failure;

    public EntryWriterPool(ExtractionTarget target, int workers, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        _target = target;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var capacity = workers * QueuedPerWorker;
        _queue = Channel.CreateBounded<EntryWrite>(new BoundedChannelOptions(capacity)
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });

        // A pool of this extraction's own, so its buffers become garbage with it (see ParallelRangeStream).
        _buffers = ArrayPool<byte>.Create(MaxBufferedEntryBytes, capacity + workers);
        _workers = new Task[workers];
        for (var i = 0; i < workers; i++)
        {
            _workers[i] = Task.Run(RunAsync, CancellationToken.None);
        }
    }

    public static bool Fits(long storedSize) => storedSize <= MaxBufferedEntryBytes;

    /// <summary>
    /// Runs an archive reader with a pool of <paramref name="workers"/>, waits until every file it queued is written
    /// and verified, then completes the target (directory modes). On any failure no worker is left running.
    /// </summary>
    public static async Task ExtractAsync(ExtractionTarget target, int workers, Func<EntryWriterPool, Task> read, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(read);
        var pool = new EntryWriterPool(target, workers, ct);
        await using (pool.ConfigureAwait(false))
        {
            await read(pool).ConfigureAwait(false);
            await pool.CompleteAsync().ConfigureAwait(false);
        }

        target.Complete();
    }

    public byte[] Rent(int length) => _buffers.Rent(length);

    /// <summary>Queues a claimed file, waiting while the queue is full; throws the first worker's failure.</summary>
    public async ValueTask WriteAsync(EntryWrite write)
    {
        ThrowIfFailed();
        try
        {
            await _queue.Writer.WriteAsync(write, _cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_failure is not null)
        {
            ThrowIfFailed();
        }
    }

    /// <summary>Waits until every queued file is written and verified; throws the first failure, or cancellation.</summary>
    public async Task CompleteAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_workers).ConfigureAwait(false);
        ThrowIfFailed();

        // Workers stop quietly when cancelled; files may be missing then, so this must not look like success.
        _cts.Token.ThrowIfCancellationRequested();
    }

    /// <summary>Stops the workers and waits for them, so nothing writes into the staging folder after this returns.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _cts.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_workers).ConfigureAwait(false);
        _cts.Dispose();
    }

    private void ThrowIfFailed()
    {
        if (Volatile.Read(ref _failure) is { } failure)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031", Justification = "A worker's failure is handed to the reader, which rethrows it.")]
    private async Task RunAsync()
    {
        try
        {
            await foreach (var write in _queue.Reader.ReadAllAsync(_cts.Token).ConfigureAwait(false))
            {
                try
                {
                    await WriteOneAsync(write).ConfigureAwait(false);
                }
                finally
                {
                    _buffers.Return(write.Data);
                }
            }
        }
        catch (OperationCanceledException) when (_cts.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            Interlocked.CompareExchange(ref _failure, ex, null);
            await _cts.CancelAsync().ConfigureAwait(false);
        }
    }

    private async Task WriteOneAsync(EntryWrite write)
    {
        var stored = new MemoryStream(write.Data, 0, write.Length, writable: false);
        await using var content = write.Deflated ? new DeflateStream(stored, CompressionMode.Decompress) : (Stream)stored;
        var (written, crc) = await _target.WriteClaimedFileAsync(
            write.Entry, write.Path, content, write.DeclaredSize, write.Mode, write.Modified, _cts.Token).ConfigureAwait(false);
        Verify(write.Entry, written, crc, write.DeclaredSize, write.Crc32);
    }

    /// <summary>A written file must have exactly its declared size and, where the format has one, its CRC-32.</summary>
    public static void Verify(string entry, long written, uint crc, long declaredSize, uint? declaredCrc)
    {
        if (written != declaredSize)
        {
            throw CorruptArchive.Entry(entry, $"it unpacked to {written} bytes, but the archive declares {declaredSize} (truncated or corrupt data)");
        }

        if (declaredCrc is { } expected && crc != expected)
        {
            throw CorruptArchive.Entry(entry, $"CRC-32 mismatch (computed {crc:x8}, declared {expected:x8})");
        }
    }
}
