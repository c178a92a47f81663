using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Extension.Sources;
using static ExtensionCache.Extension.Archives.ZipFieldLocations;

namespace ExtensionCache.Extension.Archives;

/// <summary>
/// Extracts a zip from a forward-only stream of the whole archive, guided by its central directory: entries are
/// visited in local-header order, each local header is checked against its central record, data is inflated
/// straight into the staging folder (small files by the workers of an <see cref="EntryWriterPool"/>), and CRC-32
/// and size are verified. Hand-written for the reason given on <see cref="ZipCentralDirectory"/>.
/// </summary>
public sealed class ZipStreamExtractor : IArchiveExtractor
{
    private const int MaxLinkTargetBytes = 4096;

    /// <summary>Files of a delta handed to a pool worker at once: enough that queueing costs nothing next to the links.</summary>
    private const int LinkBatchSize = 256;

    private readonly IReadOnlyList<ZipEntryRecord> entries;

    // The entries in local-header order, the order both the reuse plan and the extraction walk them.
    private readonly List<ZipEntryRecord> _ordered;
    private readonly long centralDirectoryOffset;

    private ZipStreamExtractor(IReadOnlyList<ZipEntryRecord> entries, long centralDirectoryOffset, ReadOnlyMemory<byte> tail)
    {
        this.entries = entries;
        _ordered = entries.OrderBy(e => e.LocalHeaderOffset).ToList();
        this.centralDirectoryOffset = centralDirectoryOffset;
        KnownTail = tail;
    }

    /// <summary>The central directory and the end records, read while opening (see <see cref="ZipCentralDirectory.ReadAsync"/>).</summary>
    public ReadOnlyMemory<byte> KnownTail { get; }

    /// <summary>
    /// Checks the zip before its download: the source must serve byte ranges (the central directory is at the
    /// end), the directory must be sound, and its declared entries and unpacked bytes must fit the caps.
    /// </summary>
    public static async Task<ZipStreamExtractor> OpenAsync(IBundleSource source, SourceInfo info, ExtractionCaps caps, RetryPolicy retry, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(caps);
        if (!info.SupportsRanges)
        {
            throw new BundleException(
                FailureKind.BundleUnsupported,
                $"{source.DisplayName} does not serve byte ranges, which a zip bundle needs (its central directory is at the end); use tar.gz or tar.zst");
        }

        var (entries, directoryOffset, tail) = await ZipCentralDirectory.ReadAsync(source, info, retry, caps.MaxEntries, ct).ConfigureAwait(false);
        var declared = entries.Sum(e => e.UncompressedSize);
        if (declared > caps.MaxBytes)
        {
            throw new BundleException(
                FailureKind.BundleTooLarge,
                $"the zip declares {declared} unpacked bytes, more than the {caps.MaxBytes} bytes allowed ({caps.MaxBytesOrigin})");
        }

        return new ZipStreamExtractor(entries, directoryOffset, tail);
    }

    /// <summary>
    /// Decides which entries <paramref name="trees"/> already hold (files to hard-link, symlinks to recreate) and which
    /// byte ranges of the archive the rest needs; directories need no bytes at all. Returns null when no file or
    /// symlink can be reused. The trees are searched on <paramref name="workers"/> threads: on a bundle of tens of
    /// thousands of files the lookups (a statx each) are a large part of a delta's time.
    /// </summary>
    public ReusePlan? PlanReuse(IReadOnlyList<ExistingTree> trees, int workers)
    {
        ArgumentNullException.ThrowIfNull(trees);
        var ordered = _ordered;
        foreach (var entry in ordered)
        {
            CheckSupported(entry);
        }

        var found = new ReusedEntry?[ordered.Count];
        RunParallel(ordered.Count, workers, i =>
        {
            var entry = ordered[i];
            if (!entry.IsDirectory)
            {
                found[i] = Find(trees, entry, EntryPathPolicy.Normalize(entry.Name));
            }
        });

        var reuse = new Dictionary<ZipEntryRecord, ReusedEntry>(ReferenceEqualityComparer.Instance);
        var ranges = new List<ObjectRange>();
        long reusedBytes = 0;
        var fetched = 0;
        for (var i = 0; i < ordered.Count; i++)
        {
            var entry = ordered[i];
            if (entry.IsDirectory)
            {
                continue;
            }

            if (found[i] is { } r)
            {
                reuse[entry] = r;
                reusedBytes += entry.UncompressedSize;
                continue;
            }

            var end = i + 1 < ordered.Count ? ordered[i + 1].LocalHeaderOffset : centralDirectoryOffset;
            ranges.Add(new ObjectRange(entry.LocalHeaderOffset, Math.Max(0, Math.Min(end, centralDirectoryOffset) - entry.LocalHeaderOffset)));
            fetched++;
        }

        return reuse.Count == 0 ? null : new ReusePlan(reuse, ranges, TreeHash(entries), reusedBytes, fetched, centralDirectoryOffset);
    }

    /// <summary>
    /// Extracts every entry, then writes the entry index a later delta reads. With a <paramref name="plan"/> the
    /// entries it reuses are linked or recreated from disk, and <paramref name="archive"/> is skipped over them.
    /// </summary>
    public async Task ExtractAsync(ArchiveStream archive, ReusePlan? plan, ExtractionTarget target, int workers, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(archive);
        ArgumentNullException.ThrowIfNull(target);
        var indexed = new List<IndexedEntry>(_ordered.Count);
        await EntryWriterPool.ExtractAsync(target, workers, pool => ExtractEntriesAsync(archive, plan, target, pool, indexed, ct), ct).ConfigureAwait(false);
        var index = new List<ZipIndexedEntry>(indexed.Count);
        foreach (var (entry, path, link, known) in indexed)
        {
            var ticks = link.Length != 0 ? 0 : known ?? File.GetLastWriteTimeUtc(Path.Join(target.Root, path)).Ticks;
            index.Add(new ZipIndexedEntry(entry.Name, entry.UncompressedSize, entry.Crc32, entry.UnixMode ?? -1, link, ticks));
        }

        ZipEntryIndex.Write(Path.Join(target.Root, CacheLayout.EntryIndexFileName), index);
    }

    private static ReusedEntry? Find(IReadOnlyList<ExistingTree> trees, ZipEntryRecord entry, string path)
    {
        foreach (var tree in trees)
        {
            if (entry.IsSymlink)
            {
                if (tree.FindSymlinkTarget(entry, path) is { } link)
                {
                    return new ReusedEntry(path, null, 0, link);
                }
            }
            else if (tree.FindFile(entry, path) is { } mtimeTicks)
            {
                return new ReusedEntry(path, tree, mtimeTicks, null);
            }
        }

        return null;
    }

    /// <summary>SHA-256 over every entry's name, sizes, CRC-32 and mode in directory order: what a delta publishes in place of the archive's hash.</summary>
    private static string TreeHash(IReadOnlyList<ZipEntryRecord> records)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var fields = new byte[20];
        foreach (var e in records)
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(e.Name));
            BinaryPrimitives.WriteInt64LittleEndian(fields, e.UncompressedSize);
            BinaryPrimitives.WriteUInt32LittleEndian(fields.AsSpan(8), e.Crc32);
            BinaryPrimitives.WriteInt32LittleEndian(fields.AsSpan(12), e.UnixMode ?? -1);
            BinaryPrimitives.WriteInt32LittleEndian(fields.AsSpan(16), 0);
            hash.AppendData(fields);
        }

        return ReusePlan.TreeHashPrefix + Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private async Task ExtractEntriesAsync(
        ArchiveStream archive, ReusePlan? plan, ExtractionTarget target, EntryWriterPool pool, List<IndexedEntry> indexed, CancellationToken ct)
    {
        var ordered = _ordered;
        long position = 0;
        ZipEntryRecord? previous = null;
        var header = new byte[LocalFileHeader.Size];
        // Files of a delta claimed in archive order and linked in batches by the pool's workers (a link is a syscall,
        // tens of thousands of them on a node_modules bundle) while this thread claims the next ones, or fetches the
        // next entry.
        var links = new List<FileLink>(LinkBatchSize);
        foreach (var entry in ordered)
        {
            CheckSupported(entry);
            if (plan is not null && (entry.IsDirectory || plan.Reuse.ContainsKey(entry)))
            {
                ApplyReused(entry, plan, target, links, indexed);
                if (links.Count == LinkBatchSize)
                {
                    await QueueLinksAsync().ConfigureAwait(false);
                }

                continue;
            }

            // Before any byte is fetched the files claimed so far go to the workers: an attempt ended during the
            // fetch (a killed INIT) then leaves them linked in its folder, for the next attempt to reuse.
            await QueueLinksAsync().ConfigureAwait(false);

            if (entry.LocalHeaderOffset < position)
            {
                throw Refuse(entry, $"its data overlaps entry '{EntryPathPolicy.Display(previous!.Name)}' (overlapping entries are not allowed)");
            }

            await archive.SkipAsync(entry.LocalHeaderOffset - position, ct).ConfigureAwait(false);
            position = entry.LocalHeaderOffset;

            await ReadExactAsync(archive, header, entry, ct).ConfigureAwait(false);
            var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(LocalFileHeader.NameLength));
            var extraLength = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(LocalFileHeader.ExtraLength));
            var rest = new byte[nameLength + extraLength];
            await ReadExactAsync(archive, rest, entry, ct).ConfigureAwait(false);
            CheckLocalHeader(entry, header, rest, nameLength);
            position += LocalFileHeader.Size + rest.Length;

            var dataEnd = position + entry.CompressedSize;
            if (dataEnd > centralDirectoryOffset)
            {
                throw Corrupt(entry, "its data runs into the central directory (truncated or overlapping archive)");
            }

            try
            {
                await ExtractEntryAsync(archive, entry, target, pool, indexed, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (CorruptArchive.IsDecoderError(ex))
            {
                throw CorruptArchive.Entry(entry.Name, ex.Message, ex);
            }

            position = dataEnd;
            previous = entry;
        }

        await QueueLinksAsync().ConfigureAwait(false);

        async ValueTask QueueLinksAsync()
        {
            if (links.Count > 0)
            {
                await pool.LinkAsync(new LinkBatch(links)).ConfigureAwait(false);
                links = new List<FileLink>(LinkBatchSize);
            }
        }
    }

    /// <summary>Runs <paramref name="body"/> for 0..count-1 on up to <paramref name="workers"/> threads; the first failure is rethrown as itself.</summary>
    private static void RunParallel(int count, int workers, Action<int> body)
    {
        if (count == 0)
        {
            return;
        }

        try
        {
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, workers) }, body);
        }
        catch (AggregateException ex) when (ex.InnerExceptions.Count > 0)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerExceptions[0]);
        }
    }

    private static void CheckSupported(ZipEntryRecord entry)
    {
        if (entry.IsEncrypted)
        {
            throw Encrypted(entry);
        }

        if (entry.Method is not Methods.Stored and not Methods.Deflate and not Methods.Zstd)
        {
            throw new BundleException(
                FailureKind.BundleUnsupported,
                $"entry '{EntryPathPolicy.Display(entry.Name)}' refused: compression method {entry.Method}{MethodName(entry.Method)} is not supported (only stored, deflate and zstd)");
        }
    }

    /// <summary>The name of a zip compression method the extension does not read, for messages (APPNOTE 4.4.5).</summary>
    public static string MethodName(ushort method) => method switch
    {
        9 => " (Deflate64)",
        12 => " (bzip2)",
        14 => " (LZMA)",
        95 => " (xz)",
        96 => " (JPEG)",
        97 => " (WavPack)",
        98 => " (PPMd)",
        99 => " (AES encryption)",
        _ => "",
    };

    private static void CheckLocalHeader(ZipEntryRecord entry, byte[] header, byte[] rest, int nameLength)
    {
        var h = header.AsSpan();
        if (BinaryPrimitives.ReadUInt32LittleEndian(h[LocalFileHeader.Signature..]) != LocalFileHeader.SignatureValue)
        {
            throw Corrupt(entry, $"no local header at offset {entry.LocalHeaderOffset}");
        }

        // The local name is read by the central directory's rule (its own Unicode Path field included), then compared.
        var flags = BinaryPrimitives.ReadUInt16LittleEndian(h[LocalFileHeader.Flags..]);
        var localName = ZipEntryName.TryRead(flags, rest.AsSpan(0, nameLength), rest.AsSpan(nameLength));
        if (localName != entry.Name)
        {
            var shown = localName ?? System.Text.Encoding.Latin1.GetString(rest, 0, nameLength);
            throw Corrupt(entry, $"its local header names a different entry ('{EntryPathPolicy.Display(shown)}') than the central directory");
        }

        if ((flags & Flags.Encrypted) != 0)
        {
            throw Encrypted(entry);
        }

        if (BinaryPrimitives.ReadUInt16LittleEndian(h[LocalFileHeader.Method..]) != entry.Method)
        {
            throw Corrupt(entry, "its local header's compression method disagrees with the central directory");
        }

        if ((flags & Flags.DataDescriptor) != 0)
        {
            // The CRC and sizes follow the data; the central directory's are the ones checked.
            return;
        }

        var crc = BinaryPrimitives.ReadUInt32LittleEndian(h[LocalFileHeader.Crc32..]);
        long compressed = BinaryPrimitives.ReadUInt32LittleEndian(h[LocalFileHeader.CompressedSize..]);
        long uncompressed = BinaryPrimitives.ReadUInt32LittleEndian(h[LocalFileHeader.UncompressedSize..]);
        long offset = 0;
        ZipCentralDirectory.ApplyZip64(rest.AsSpan(nameLength), ref uncompressed, ref compressed, ref offset, entry.Name);
        if (crc != entry.Crc32 || compressed != entry.CompressedSize || uncompressed != entry.UncompressedSize)
        {
            throw Corrupt(entry, "its local header's CRC or sizes disagree with the central directory");
        }
    }

    /// <summary>
    /// A directory (no bytes needed), or a file or symlink the plan found in an <see cref="ExistingTree"/>: a file is
    /// claimed here and queued in <paramref name="links"/>.
    /// </summary>
    private static void ApplyReused(
        ZipEntryRecord entry, ReusePlan plan, ExtractionTarget target, List<FileLink> links, List<IndexedEntry> indexed)
    {
        if (entry.IsDirectory)
        {
            target.CreateDirectory(entry.Name, EntryPathPolicy.Normalize(entry.Name), Mode(entry));
            return;
        }

        var reused = plan.Reuse[entry];
        var path = reused.Path;
        if (reused.LinkTarget is { } link)
        {
            target.CreateSymlink(entry.Name, path, link);
            indexed.Add(new(entry, path, link, null));
            return;
        }

        target.ClaimLinkedFile(entry.Name, path, entry.UncompressedSize);
        links.Add(new FileLink(entry.Name, path, reused.From!, Mode(entry), entry.Modified));
        indexed.Add(new(entry, path, string.Empty, reused.Restamp ? WrittenMtime(entry) : reused.FileMtimeTicks));
    }

    private static async Task ExtractEntryAsync(
        ArchiveStream archive, ZipEntryRecord entry, ExtractionTarget target, EntryWriterPool pool, List<IndexedEntry> indexed, CancellationToken ct)
    {
        var path = EntryPathPolicy.Normalize(entry.Name);
        if (!entry.IsDirectory && !entry.IsSymlink && EntryWriterPool.Fits(entry.CompressedSize))
        {
            target.ClaimFile(entry.Name, path);
            indexed.Add(new(entry, path, string.Empty, WrittenMtime(entry)));
            var stored = pool.Rent((int)entry.CompressedSize);
            try
            {
                await archive.ReadExactlyAsync(stored.AsMemory(0, (int)entry.CompressedSize), ct).ConfigureAwait(false);
            }
            catch (EndOfStreamException ex)
            {
                throw CorruptArchive.Entry(entry.Name, "the archive ends inside its data (truncated)", ex);
            }

            var codec = entry.Method switch { Methods.Deflate => EntryCodec.Deflate, Methods.Zstd => EntryCodec.Zstd, _ => EntryCodec.Stored };
            await pool.WriteAsync(new EntryWrite(
                entry.Name, path, stored, (int)entry.CompressedSize, codec, entry.UncompressedSize, entry.Crc32, Mode(entry), entry.Modified))
                .ConfigureAwait(false);
            return;
        }

        var data = new BoundedReadStream(archive, entry.CompressedSize, owner: null, leaveOpen: true);
        if (entry.IsDirectory)
        {
            // A directory entry naming the root ("./", which bsdtar writes) is accepted and adds nothing, as in tar.
            target.CreateDirectory(entry.Name, path, Mode(entry));
            await SkipAsync(data, entry.CompressedSize, ct).ConfigureAwait(false);
            return;
        }

        if (entry.Method == Methods.Zstd && !entry.IsSymlink)
        {
            // Frame by frame, on the pool's workers as well (see ZipZstdDecoder); it reads the entry's data to its end.
            target.ClaimFile(entry.Name, path);
            indexed.Add(new(entry, path, string.Empty, WrittenMtime(entry)));
            await ZipZstdDecoder.ExtractAsync(data, entry, path, Mode(entry), target, pool, ct).ConfigureAwait(false);
            return;
        }

        await using var content = entry.Method switch
        {
            Methods.Deflate => new DeflateStream(data, CompressionMode.Decompress, leaveOpen: true),
            Methods.Zstd => ZipZstdDecoder.OpenStream(data, entry.Name),
            _ => data,
        };
        if (entry.IsSymlink)
        {
            if (entry.UncompressedSize > MaxLinkTargetBytes)
            {
                throw Refuse(entry, $"a symlink target longer than {MaxLinkTargetBytes} bytes is not allowed");
            }

            var bytes = new byte[entry.UncompressedSize + 1];
            var read = 0;
            int n;
            try
            {
                while (read < bytes.Length && (n = await content.ReadAsync(bytes.AsMemory(read), ct).ConfigureAwait(false)) > 0)
                {
                    read += n;
                }
            }
            catch (Exception ex) when (ex is InvalidDataException or ZstdSharp.ZstdException)
            {
                throw Corrupt(entry, ex.Message);
            }

            if (read != entry.UncompressedSize || System.IO.Hashing.Crc32.HashToUInt32(bytes.AsSpan(0, read)) != entry.Crc32)
            {
                throw Corrupt(entry, "the symlink target's CRC-32 or size does not match the central directory");
            }

            var link = System.Text.Encoding.UTF8.GetString(bytes, 0, read);
            target.CreateSymlink(entry.Name, path, link);
            indexed.Add(new(entry, path, link, null));
        }
        else
        {
            indexed.Add(new(entry, path, string.Empty, WrittenMtime(entry)));
            var (written, crc) = await target.WriteFileAsync(entry.Name, path, content, entry.UncompressedSize, Mode(entry), entry.Modified, ct)
                .ConfigureAwait(false);
            EntryWriterPool.Verify(entry.Name, written, crc, entry.UncompressedSize, entry.Crc32);
        }

        // Whatever the inflater did not need (padding) is skipped so the stream stays aligned.
        await SkipAsync(data, long.MaxValue, ct).ConfigureAwait(false);
    }

    /// <summary>The mtime the writer gives a file of this entry, in ticks, or null when it sets none.</summary>
    private static long? WrittenMtime(ZipEntryRecord entry) => entry.Modified?.UtcDateTime.Ticks;

    private static UnixFileMode? Mode(ZipEntryRecord entry) =>
        entry.UnixMode is { } mode ? (UnixFileMode)(mode & 0xFFF) : null;

    private static async Task ReadExactAsync(Stream archive, byte[] buffer, ZipEntryRecord entry, CancellationToken ct)
    {
        try
        {
            await archive.ReadExactlyAsync(buffer, ct).ConfigureAwait(false);
        }
        catch (EndOfStreamException ex)
        {
            throw CorruptArchive.Entry(entry.Name, "the archive ends inside its local header (truncated)", ex);
        }
    }

    private static async Task SkipAsync(Stream stream, long count, CancellationToken ct)
    {
        if (count <= 0)
        {
            return;
        }

        var scratch = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (count > 0)
            {
                var n = await stream.ReadAsync(scratch.AsMemory(0, (int)Math.Min(scratch.Length, count)), ct).ConfigureAwait(false);
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

    /// <summary>Either header may say the entry is encrypted (the central one is checked first); both refuse it alike.</summary>
    private static BundleException Encrypted(ZipEntryRecord entry) =>
        new(FailureKind.BundleUnsupported, $"entry '{EntryPathPolicy.Display(entry.Name)}' refused: it is encrypted, which is not supported");

    private static BundleException Refuse(ZipEntryRecord entry, string rule) => EntryPathPolicy.Refuse(entry.Name, rule);

    private static BundleException Corrupt(ZipEntryRecord entry, string cause) => CorruptArchive.Entry(entry.Name, cause);

    /// <summary>
    /// A file or symlink published: the entry, its path, its link target ("" for a file) and, for a file, the mtime it
    /// is known to get: the entry's time (whole seconds, which every file system Lambda uses stores exactly) when it
    /// is written or restamped, the published file's when it is linked unchanged; read back only when unknown.
    /// </summary>
    private readonly record struct IndexedEntry(ZipEntryRecord Entry, string Path, string LinkTarget, long? MtimeTicks);
}
