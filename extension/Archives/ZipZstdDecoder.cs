using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using ExtensionCache.Extension.Failures;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace ExtensionCache.Extension.Archives;

/// <summary>
/// One frame of a large zstd zip entry, whole in memory (<paramref name="Frame"/>, rented from the pool), for a pool
/// worker to decode into <paramref name="DecodedLength"/> bytes and write at <paramref name="Offset"/> of the file.
/// </summary>
public sealed record ZstdPiece(string Entry, StagedFile File, byte[] Frame, int FrameLength, long Offset, int DecodedLength) : PoolWork
{
    private readonly TaskCompletionSource<uint> _written = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes with the piece's CRC-32 once it is written.</summary>
    public Task<uint> Written => _written.Task;

    internal void Done(uint crc) => _written.SetResult(crc);
}

/// <summary>
/// Decodes zip entries compressed with zstd (method 93), with the same checks as deflate: the entry's CRC-32 and
/// declared size, the byte cap, and zstd's window limit (<see cref="ZstdFrame.MaxWindowBytes"/>). zstd's own
/// content checksum is not required (the CRC-32 covers the content) but is verified when a frame carries it.
/// <list type="bullet">
/// <item>A small entry (stored size within <see cref="EntryWriterPool.MaxBufferedEntryBytes"/>) is decoded whole by
/// a pool worker (<see cref="WriteSmallAsync"/>).</item>
/// <item>A large one is read by the archive reader frame by frame (<see cref="ExtractAsync"/>): the boundaries are
/// known without decoding, since a frame's header states its decoded size and its block headers its length. A frame
/// that states a size of at most <see cref="MaxPieceBytes"/> is handed whole to a pool worker, which decodes it and
/// writes it at its offset in the file while the reader goes on (pieces in flight bounded by
/// <see cref="PiecesInFlight"/> and <see cref="PieceBudget"/>); any other frame is decoded by the reader as its blocks arrive. The pieces' CRC-32
/// values are combined in order (<see cref="Crc32Combine"/>), so the entry's CRC-32 is checked exactly. This is how
/// <c>pack</c>'s multi-frame entries (independent frames and a seek table, zstd's seekable format) unpack on every
/// core; a single-frame entry from any other tool decodes on the reader, like deflate.</item>
/// </list>
/// A seek table after the frames is checked against them (<see cref="ZstdSeekTable"/>).
/// </summary>
public static class ZipZstdDecoder
{
    /// <summary>Frames that decode to at most this many bytes are decoded by the workers; <c>pack</c> writes 1 MiB frames.</summary>
    public const int MaxPieceBytes = 4 * 1024 * 1024;

    /// <summary>The largest buffer a frame or its decoded bytes need (<see cref="MaxFrameBytes"/> of <see cref="MaxPieceBytes"/>).</summary>
    public const int MaxFrameBufferBytes = MaxPieceBytes + (MaxPieceBytes >> 8) + ZstdFrame.MaxBlockBytes + 64;

    private const int InlineChunkBytes = 64 * 1024;
    private const int DecodedChunkBytes = 128 * 1024;

    /// <summary>
    /// The memory the pieces of one entry may hold at once, compressed and decoded bytes together: two 4 MiB frames
    /// per worker plus one; a single frame larger than the budget still goes alone.
    /// </summary>
    public static long PieceBudget(int workers) => ((2L * workers) + 1) * MaxPieceBytes;

    /// <summary>Pieces of one entry queued or being decoded at once: two per worker keep every worker busy while the reader reads the next.</summary>
    public static int PiecesInFlight(int workers) => 2 * workers;

    /// <summary>The most compressed bytes a frame that decodes to <paramref name="decoded"/> bytes may take: zstd's compress bound, a block's slack, header and checksum.</summary>
    public static int MaxFrameBytes(int decoded) => decoded + (decoded >> 8) + ZstdFrame.MaxBlockBytes + 64;

    /// <summary>A small entry, in memory, on a pool worker: inspected (window, seek table), decoded with the worker's decoder, written.</summary>
    public static async Task<(long Written, uint Crc)> WriteSmallAsync(EntryWrite write, ExtractionTarget target, Decompressor decoder, ArrayPool<byte> buffers, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(write);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentNullException.ThrowIfNull(buffers);
        var subject = Subject(write.Entry);
        var stored = write.Data.AsMemory(0, write.Length);
        ZstdFrameInspector.Check(stored.Span, subject);
        if (write.DeclaredSize > MaxPieceBytes)
        {
            // Highly compressible: decode as a stream rather than into a buffer of the declared size.
            try
            {
                await using var content = new DecompressionStream(new MemoryStream(write.Data, 0, write.Length, writable: false), decoder, preserveDecompressor: true, leaveOpen: false);
                return await target.WriteClaimedFileAsync(write.Entry, write.Path, content, write.DeclaredSize, write.Mode, write.Modified, ct).ConfigureAwait(false);
            }
            catch (ZstdException ex)
            {
                throw Corrupt(write.Entry, ex);
            }
        }

        var declared = (int)write.DeclaredSize;
        var decoded = buffers.Rent(declared + 1);
        try
        {
            int length;
            try
            {
                length = decoder.Unwrap(stored.Span, decoded.AsSpan(0, declared + 1));
            }
            catch (ZstdException ex) when (ex.Code == ZSTD_ErrorCode.ZSTD_error_dstSize_tooSmall)
            {
                throw MoreThanDeclared(write.Entry, write.DeclaredSize);
            }
            catch (ZstdException ex)
            {
                throw Corrupt(write.Entry, ex);
            }

            if (length > declared)
            {
                throw MoreThanDeclared(write.Entry, write.DeclaredSize);
            }

            return await target.WriteClaimedFileAsync(
                write.Entry, write.Path, new MemoryStream(decoded, 0, length, writable: false), write.DeclaredSize, write.Mode, write.Modified, ct).ConfigureAwait(false);
        }
        finally
        {
            buffers.Return(decoded);
        }
    }

    /// <summary>A zstd entry's content as a stream (inspected, then decoded in order), for a symlink target.</summary>
    public static Stream OpenStream(Stream data, string entry) =>
        new DecompressionStream(new ZstdFrameInspector(data, requireChecksum: false, Subject(entry), checkSeekTable: true), leaveOpen: true);

    /// <summary>
    /// A large entry, on the archive reader: its frames walked from <paramref name="data"/> (exactly the entry's
    /// stored bytes), decoded by the pool's workers or inline, written into the claimed <paramref name="path"/>,
    /// and checked (size, CRC-32, seek table) before the file is completed.
    /// </summary>
    public static async Task ExtractAsync(Stream data, ZipEntryRecord entry, string path, UnixFileMode? mode, ExtractionTarget target, EntryWriterPool pool, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(pool);
        using var file = target.OpenClaimedFile(entry.Name, path, mode);
        var reader = new FrameReader(data, entry, file, pool, ct);
        try
        {
            await reader.ReadAllAsync().ConfigureAwait(false);
        }
        finally
        {
            // Nothing may write into the file once it is closed: let the pieces already queued finish first.
            await reader.SettleAsync().ConfigureAwait(false);
        }

        EntryWriterPool.Verify(entry.Name, reader.Decoded, reader.Crc, entry.UncompressedSize, entry.Crc32);
        file.Complete(entry.Modified);
    }

    /// <summary>On a pool worker: decodes one piece into a buffer of exactly its stated size, writes it at its offset, completes it with its CRC-32.</summary>
    public static void Decode(ZstdPiece piece, Decompressor decoder, ArrayPool<byte> buffers)
    {
        ArgumentNullException.ThrowIfNull(piece);
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentNullException.ThrowIfNull(buffers);
        var decoded = buffers.Rent(piece.DecodedLength);
        try
        {
            int length;
            try
            {
                length = decoder.Unwrap(piece.Frame.AsSpan(0, piece.FrameLength), decoded.AsSpan(0, piece.DecodedLength));
            }
            catch (ZstdException ex)
            {
                throw Corrupt(piece.Entry, ex);
            }

            if (length != piece.DecodedLength)
            {
                throw new BundleException(
                    FailureKind.BundleIntegrity,
                    $"{Subject(piece.Entry)} is corrupt: a zstd frame at byte {piece.Offset} decoded to {length} bytes, not the {piece.DecodedLength} its header states");
            }

            var span = decoded.AsSpan(0, length);
            var crc = Crc32.HashToUInt32(span);
            piece.File.WriteAt(span, piece.Offset);
            piece.Done(crc);
        }
        finally
        {
            buffers.Return(decoded);
            buffers.Return(piece.Frame);
        }
    }

    private static string Subject(string entry) => $"entry '{EntryPathPolicy.Display(entry)}'";

    private static BundleException Corrupt(string entry, ZstdException ex) =>
        new(FailureKind.BundleIntegrity, $"{Subject(entry)} is corrupt: {ex.Message}", ex);

    private static BundleException Corrupt(string entry, string cause) =>
        new(FailureKind.BundleIntegrity, $"{Subject(entry)} is corrupt: {cause}");

    private static BundleException MoreThanDeclared(string entry, long declared) =>
        new(FailureKind.BundleIntegrity, $"entry '{EntryPathPolicy.Display(entry)}' refused: it unpacks to more than its declared {declared} bytes");

    /// <summary>The reader side of <see cref="ExtractAsync"/>: walks the frames, hands them out, and combines their CRC-32 values in order.</summary>
    private sealed class FrameReader(Stream data, ZipEntryRecord entry, StagedFile file, EntryWriterPool pool, CancellationToken ct)
    {
        private readonly byte[] _head = new byte[8 + ZstdFrame.MaxHeaderBytes];
        private readonly List<ZstdFrameSizes> _frames = [];
        private readonly Queue<(ZstdPiece Piece, long Reserved)> _pending = new();
        private readonly long _budget = PieceBudget(pool.Workers);
        private readonly int _maxPieces = PiecesInFlight(pool.Workers);
        private long _inFlight;
        private long _assigned;
        private Decompressor? _inline;

        /// <summary>Decoded bytes whose CRC-32 is in <see cref="Crc"/>: the pieces finished, in order.</summary>
        public long Decoded { get; private set; }

        public uint Crc { get; private set; }

        private string Name => entry.Name;

        public async Task ReadAllAsync()
        {
            try
            {
                while (await ReadMagicAsync().ConfigureAwait(false) is { } magic)
                {
                    if (ZstdFrame.IsSkippable(magic))
                    {
                        await SkippableAsync(magic).ConfigureAwait(false);
                    }
                    else if (magic == ZstdFrame.Magic)
                    {
                        await DataFrameAsync().ConfigureAwait(false);
                    }
                    else
                    {
                        throw Corrupt(Name, $"its data is not zstd (frame {_frames.Count + 1} starts with {magic:x8})");
                    }
                }

                while (_pending.Count > 0)
                {
                    await FinishOldestAsync().ConfigureAwait(false);
                }
            }
            finally
            {
                _inline?.Dispose();
            }
        }

        /// <summary>Waits for every piece still queued or being written, ignoring their outcome (the first failure is already on its way).</summary>
        [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031", Justification = "Only after a failure that is being rethrown; the pool reports its own.")]
        public async Task SettleAsync()
        {
            while (_pending.TryDequeue(out var pending))
            {
                try
                {
                    await pool.WaitAsync(pending.Piece).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // Reported by the pool or by the reader already.
                }
            }
        }

        private async Task<uint?> ReadMagicAsync()
        {
            var read = 0;
            while (read < 4)
            {
                var n = await data.ReadAsync(_head.AsMemory(read, 4 - read), ct).ConfigureAwait(false);
                if (n == 0)
                {
                    return read == 0 ? null : throw Truncated();
                }

                read += n;
            }

            return BinaryPrimitives.ReadUInt32LittleEndian(_head);
        }

        private async Task SkippableAsync(uint magic)
        {
            await ReadExactAsync(_head.AsMemory(4, 4)).ConfigureAwait(false);
            var size = BinaryPrimitives.ReadUInt32LittleEndian(_head.AsSpan(4));
            if (magic == ZstdSeekTable.SkippableMagic)
            {
                // Keep what the check needs: the whole content if it could describe the frames so far, else its footer.
                var captureFrom = size <= ZstdSeekTable.MaxTableBytes(_frames.Count) ? 0 : size - ZstdSeekTable.FooterBytes;
                await SkipAsync(captureFrom).ConfigureAwait(false);
                var table = new byte[size - captureFrom];
                await ReadExactAsync(table).ConfigureAwait(false);
                if (ZstdSeekTable.Check(table, size, _frames, Subject(Name)))
                {
                    return;
                }
            }
            else
            {
                await SkipAsync(size).ConfigureAwait(false);
            }

            _frames.Add(new ZstdFrameSizes(8L + size, 0));
        }

        private async Task DataFrameAsync()
        {
            await ReadExactAsync(_head.AsMemory(4, 1)).ConfigureAwait(false);
            var rest = ZstdFrame.HeaderBytesAfterDescriptor(_head[4]);
            await ReadExactAsync(_head.AsMemory(5, rest)).ConfigureAwait(false);
            var headerBytes = 5 + rest;
            var header = _head.AsSpan(4, 1 + rest);
            ZstdFrame.CheckWindow(header, Subject(Name));
            var stated = ZstdFrame.ContentSize(header);
            var checksum = ZstdFrame.HasChecksum(_head[4]);
            if (stated is { } size && _assigned + size > entry.UncompressedSize)
            {
                throw MoreThanDeclared(Name, entry.UncompressedSize);
            }

            var frameBytes = stated is { } pieceSize && pieceSize <= MaxPieceBytes
                ? await PieceAsync(headerBytes, (int)pieceSize, checksum).ConfigureAwait(false)
                : await InlineAsync(headerBytes, checksum).ConfigureAwait(false);
            _frames.Add(new ZstdFrameSizes(frameBytes, stated));
        }

        /// <summary>Reads a frame whole into a buffer and queues it for a worker; returns its compressed length.</summary>
        private async Task<long> PieceAsync(int headerBytes, int decodedLength, bool checksum)
        {
            var capacity = MaxFrameBytes(decodedLength);
            var frame = pool.RentFrame(capacity);
            var queued = false;
            try
            {
                _head.AsSpan(0, headerBytes).CopyTo(frame);
                var length = headerBytes;
                while (true)
                {
                    if (length + ZstdFrame.BlockHeaderBytes > capacity)
                    {
                        throw TooLong(decodedLength);
                    }

                    await ReadExactAsync(frame.AsMemory(length, ZstdFrame.BlockHeaderBytes)).ConfigureAwait(false);
                    var (payload, last) = CheckBlock(frame.AsSpan(length, ZstdFrame.BlockHeaderBytes));
                    length += ZstdFrame.BlockHeaderBytes;
                    var follows = payload + (last && checksum ? ZstdFrame.ChecksumBytes : 0);
                    if (length + follows > capacity)
                    {
                        throw TooLong(decodedLength);
                    }

                    await ReadExactAsync(frame.AsMemory(length, follows)).ConfigureAwait(false);
                    length += follows;
                    if (last)
                    {
                        break;
                    }
                }

                // Within the budget: wait for the oldest pieces first (they finish roughly in order).
                var reserved = (long)length + decodedLength;
                while (_pending.Count > 0 && (_inFlight + reserved > _budget || _pending.Count >= _maxPieces))
                {
                    await FinishOldestAsync().ConfigureAwait(false);
                }

                var piece = new ZstdPiece(Name, file, frame, length, _assigned, decodedLength);
                await pool.DecodeAsync(piece).ConfigureAwait(false);
                queued = true;
                _pending.Enqueue((piece, reserved));
                _inFlight += reserved;
                _assigned += decodedLength;
                return length;
            }
            finally
            {
                if (!queued)
                {
                    // A queued frame goes back to the pool when a worker is done with it.
                    pool.ReturnFrame(frame);
                }
            }
        }

        /// <summary>Decodes a frame on this thread as its blocks arrive (no stated size, or too large for a worker); returns its compressed length.</summary>
        private async Task<long> InlineAsync(int headerBytes, bool checksum)
        {
            // Every earlier piece first: the CRC-32 values are combined in order, and this one is computed here.
            while (_pending.Count > 0)
            {
                await FinishOldestAsync().ConfigureAwait(false);
            }

            _inline ??= new Decompressor();
            var input = ArrayPool<byte>.Shared.Rent(InlineChunkBytes);
            var output = ArrayPool<byte>.Shared.Rent(DecodedChunkBytes);
            try
            {
                var crc = new Crc32();
                long produced = 0;
                long length = headerBytes;
                _head.AsSpan(0, headerBytes).CopyTo(input);
                var status = Feed(input.AsSpan(0, headerBytes), output, crc, ref produced);
                while (true)
                {
                    await ReadExactAsync(input.AsMemory(0, ZstdFrame.BlockHeaderBytes)).ConfigureAwait(false);
                    var (payload, last) = CheckBlock(input.AsSpan(0, ZstdFrame.BlockHeaderBytes));
                    length += ZstdFrame.BlockHeaderBytes;
                    status = Feed(input.AsSpan(0, ZstdFrame.BlockHeaderBytes), output, crc, ref produced);
                    for (var left = payload + (last && checksum ? ZstdFrame.ChecksumBytes : 0); left > 0;)
                    {
                        var chunk = Math.Min(left, InlineChunkBytes);
                        await ReadExactAsync(input.AsMemory(0, chunk)).ConfigureAwait(false);
                        length += chunk;
                        left -= chunk;
                        status = Feed(input.AsSpan(0, chunk), output, crc, ref produced);
                    }

                    if (last)
                    {
                        break;
                    }
                }

                if (status != OperationStatus.Done)
                {
                    throw Corrupt(Name, $"zstd frame {_frames.Count + 1} ended before its last block was decoded");
                }

                Crc = Crc32Combine.Combine(Crc, crc.GetCurrentHashAsUInt32(), produced);
                Decoded += produced;
                _assigned += produced;
                return length;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(input);
                ArrayPool<byte>.Shared.Return(output);
            }
        }

        /// <summary>Feeds frame bytes to the inline decoder; writes what it produces at the next offset.</summary>
        private OperationStatus Feed(ReadOnlySpan<byte> input, byte[] output, Crc32 crc, ref long produced)
        {
            OperationStatus status;
            int written;
            do
            {
                int consumed;
                try
                {
                    status = _inline!.UnwrapStream(input, output.AsSpan(0, DecodedChunkBytes), out consumed, out written);
                }
                catch (ZstdException ex)
                {
                    throw Corrupt(Name, ex);
                }

                if (consumed == 0 && written == 0 && input.Length > 0)
                {
                    throw Corrupt(Name, $"zstd frame {_frames.Count + 1} could not be decoded past byte {produced}");
                }

                input = input[consumed..];

                if (written > 0)
                {
                    if (_assigned + produced + written > entry.UncompressedSize)
                    {
                        throw MoreThanDeclared(Name, entry.UncompressedSize);
                    }

                    crc.Append(output.AsSpan(0, written));
                    file.WriteAt(output.AsSpan(0, written), _assigned + produced);
                    produced += written;
                }
            }
            while (input.Length > 0 || written == DecodedChunkBytes);

            return status;
        }

        private async Task FinishOldestAsync()
        {
            var (piece, reserved) = _pending.Dequeue();
            var crc = await pool.WaitAsync(piece).ConfigureAwait(false);
            Crc = Crc32Combine.Combine(Crc, crc, piece.DecodedLength);
            Decoded += piece.DecodedLength;
            _inFlight -= reserved;
        }

        private (int Payload, bool Last) CheckBlock(ReadOnlySpan<byte> header)
        {
            var (type, payload, last) = ZstdFrame.Block(header);
            if (type == 3 || payload > ZstdFrame.MaxBlockBytes)
            {
                throw Corrupt(Name, $"zstd frame {_frames.Count + 1} has an invalid block header");
            }

            return (payload, last);
        }

        private async Task ReadExactAsync(Memory<byte> buffer)
        {
            try
            {
                await data.ReadExactlyAsync(buffer, ct).ConfigureAwait(false);
            }
            catch (EndOfStreamException ex)
            {
                throw new BundleException(FailureKind.BundleIntegrity, $"{Subject(Name)} is corrupt: its zstd data ends inside frame {_frames.Count + 1} (truncated)", ex);
            }
        }

        private async Task SkipAsync(long count)
        {
            var scratch = ArrayPool<byte>.Shared.Rent(InlineChunkBytes);
            try
            {
                while (count > 0)
                {
                    var n = (int)Math.Min(count, InlineChunkBytes);
                    await ReadExactAsync(scratch.AsMemory(0, n)).ConfigureAwait(false);
                    count -= n;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }
        }

        private BundleException Truncated() =>
            new(FailureKind.BundleIntegrity, $"{Subject(Name)} is corrupt: its zstd data ends inside frame {_frames.Count + 1} (truncated)");

        private BundleException TooLong(int decodedLength) =>
            Corrupt(Name, $"zstd frame {_frames.Count + 1} has more compressed bytes than any encoder writes for the {decodedLength} bytes its header states");
    }
}
