using System.Buffers;
using System.IO.Compression;
using System.Threading.Channels;
using ExtensionCache.Extension.Failures;
using ZstdSharp;

namespace ExtensionCache.Extension.Archives;

/// <summary>How a small file's bytes are stored in the archive.</summary>
public enum EntryCodec
{
    Stored,
    Deflate,
    Zstd,
}

/// <summary>
/// What a pool worker does: write one small file (<see cref="EntryWrite"/>), decode one frame of a large zstd entry
/// (<see cref="ZstdPiece"/>), or hard-link a delta's unchanged files (<see cref="LinkBatch"/>).
/// </summary>
public abstract record PoolWork;

/// <summary>Files of a delta, claimed in the target by the reader, to hard-link from an <see cref="ExistingTree"/>.</summary>
public sealed record LinkBatch(IReadOnlyList<FileLink> Links) : PoolWork;

/// <summary>One claimed file and the tree whose verified file at the same path it is linked to (see <see cref="ExtractionTarget.LinkClaimedFile"/>).</summary>
public readonly record struct FileLink(string Entry, string Path, ExistingTree From, UnixFileMode? Mode, DateTimeOffset? Modified);

/// <summary>
/// One small file of a bundle, claimed in the target and read whole into memory, waiting for a worker.
/// <paramref name="Data"/> is rented from the pool; <paramref name="Crc32"/> is null when the format has none (tar).
/// </summary>
public sealed record EntryWrite(
    string Entry,
    string Path,
    byte[] Data,
    int Length,
    EntryCodec Codec,
    long DeclaredSize,
    uint? Crc32,
    UnixFileMode? Mode,
    DateTimeOffset? Modified) : PoolWork;

/// <summary>
/// Writes small files on worker tasks while the archive reader moves on: the reader checks each entry and claims
/// its path in archive order, reads its (compressed) bytes into a pooled buffer and queues it; a worker inflates,
/// writes and verifies it. On a bundle of many small files (node_modules) creating and writing files is the
/// bottleneck, and it spreads across cores; a large entry is streamed by the reader itself, never buffered.
/// Memory held is capped: at most <see cref="QueuedPerWorker"/> entries per worker of at most
/// <see cref="MaxBufferedEntryBytes"/> each. The same workers decode the frames of a large zstd entry in parallel
/// (<see cref="ZipZstdDecoder"/>, whose own budget bounds the frames in flight); each worker keeps one zstd
/// decoder for all it decodes. A delta's unchanged files are linked by the same workers, in batches, while the
/// reader goes on claiming (and creating the folders of) the next ones. The first failure stops every worker and is
/// rethrown to the reader.
/// </summary>
public sealed class EntryWriterPool : IAsyncDisposable
{
    /// <summary>Entries up to this size (as stored in the archive) are buffered and written by a worker.</summary>
    public const int MaxBufferedEntryBytes = 256 * 1024;

    private const int QueuedPerWorker = 16;

    private readonly ExtractionTarget _target;
    private readonly Channel<PoolWork> _queue;
    private readonly CancellationTokenSource _cts;
    private readonly ArrayPool<byte> _buffers;
    private readonly ArrayPool<byte> _frames;
    private readonly Task[] _workers;
    private Exception? _failure;

    public EntryWriterPool(ExtractionTarget target, int workers, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        _target = target;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var capacity = workers * QueuedPerWorker;
        Workers = workers;
        _queue = Channel.CreateBounded<PoolWork>(new BoundedChannelOptions(capacity)
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });

        // A pool of this extraction's own, so its buffers become garbage with it (see ParallelRangeStream).
        _buffers = ArrayPool<byte>.Create(MaxBufferedEntryBytes, capacity + workers);
        // Frames in flight, and one decoded frame per worker, reused rather than allocated per frame.
        _frames = ArrayPool<byte>.Create(ZipZstdDecoder.MaxFrameBufferBytes, ZipZstdDecoder.PiecesInFlight(workers) + workers + 2);
        _workers = new Task[workers];
        for (var i = 0; i < workers; i++)
        {
            _workers[i] = Task.Run(RunAsync, CancellationToken.None);
        }
    }

    public int Workers { get; }

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

    /// <summary>A buffer for a zstd frame or its decoded bytes, from a pool of this extraction's own; a worker returns it.</summary>
    public byte[] RentFrame(int length) => _frames.Rent(length);

    /// <summary>Gives back a frame buffer that was never queued.</summary>
    public void ReturnFrame(byte[] buffer) => _frames.Return(buffer);

    /// <summary>Queues a claimed file, waiting while the queue is full; throws the first worker's failure.</summary>
    public ValueTask WriteAsync(EntryWrite write) => QueueAsync(write);

    /// <summary>Queues claimed files to hard-link, waiting while the queue is full; throws the first worker's failure.</summary>
    public ValueTask LinkAsync(LinkBatch batch) => QueueAsync(batch);

    /// <summary>Queues one frame of a large zstd entry; <see cref="WaitAsync"/> gives its CRC-32 once it is written.</summary>
    public ValueTask DecodeAsync(ZstdPiece piece) => QueueAsync(piece);

    /// <summary>The CRC-32 of a queued piece once a worker has written it; throws the first worker's failure instead if there is one.</summary>
    public async Task<uint> WaitAsync(ZstdPiece piece)
    {
        ArgumentNullException.ThrowIfNull(piece);
        try
        {
            return await piece.Written.WaitAsync(_cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_failure is not null)
        {
            ThrowIfFailed();
            throw;
        }
    }

    private async ValueTask QueueAsync(PoolWork work)
    {
        ThrowIfFailed();
        try
        {
            await _queue.Writer.WriteAsync(work, _cts.Token).ConfigureAwait(false);
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
        // One zstd decoder per worker, made on first use and reused for every file and frame it decodes.
        Decompressor? zstd = null;
        try
        {
            await foreach (var work in _queue.Reader.ReadAllAsync(_cts.Token).ConfigureAwait(false))
            {
                switch (work)
                {
                    case EntryWrite write:
                        try
                        {
                            await WriteOneAsync(write, write.Codec == EntryCodec.Zstd ? zstd ??= new Decompressor() : null).ConfigureAwait(false);
                        }
                        finally
                        {
                            _buffers.Return(write.Data);
                        }

                        break;
                    case ZstdPiece piece:
                        ZipZstdDecoder.Decode(piece, zstd ??= new Decompressor(), _frames);
                        break;
                    case LinkBatch batch:
                        foreach (var link in batch.Links)
                        {
                            _cts.Token.ThrowIfCancellationRequested();
                            _target.LinkClaimedFile(link.Entry, link.Path, link.From, link.Mode, link.Modified);
                        }

                        break;
                    default:
                        throw new InvalidOperationException($"unknown pool work {work.GetType().Name}");
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
        finally
        {
            zstd?.Dispose();
        }
    }

    private async Task WriteOneAsync(EntryWrite write, Decompressor? zstd)
    {
        var (written, crc) = write.Codec == EntryCodec.Zstd
            ? await ZipZstdDecoder.WriteSmallAsync(write, _target, zstd!, _frames, _cts.Token).ConfigureAwait(false)
            : await WriteStoredOrDeflatedAsync(write).ConfigureAwait(false);
        Verify(write.Entry, written, crc, write.DeclaredSize, write.Crc32);
    }

    private async Task<(long Written, uint Crc)> WriteStoredOrDeflatedAsync(EntryWrite write)
    {
        var stored = new MemoryStream(write.Data, 0, write.Length, writable: false);
        await using var content = write.Codec == EntryCodec.Deflate ? new DeflateStream(stored, CompressionMode.Decompress) : (Stream)stored;
        return await _target.WriteClaimedFileAsync(
            write.Entry, write.Path, content, write.DeclaredSize, write.Mode, write.Modified, _cts.Token).ConfigureAwait(false);
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
