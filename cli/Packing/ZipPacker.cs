using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;
using static ExtensionCache.Extension.Archives.ZipFieldLocations;

namespace ExtensionCache.Cli.Packing;

/// <summary>
/// Writes a deterministic zip: entries in the given (ordinal) order, each with only what the extension reads (UTF-8
/// name flag, unix mode, DOS time plus the extended-timestamp field 0x5455 holding the exact mtime in seconds, and
/// ZIP64 fields where a size or offset needs them), no packer name, no comment. Directories carry no time. Each file
/// is stored, deflated or compressed with zstd as <see cref="ZipMethod"/> says (zstd by <see cref="ZipZstdEncoder"/>).
/// Files up to <see cref="InMemoryBytes"/> are compressed independently on every core; the writer takes them in
/// order, so the bytes never depend on scheduling. A larger file is streamed by the writer (its zstd frames still
/// compressed on every core) and its local header completed afterwards, so the output must be seekable. ZIP64
/// records are written when an entry or the archive reaches 4 GiB or the tree has more than 65,535 entries.
/// Hand-written because .NET's ZipArchive writes no unix mode for links, no 0x5455 field, no zstd, and compresses on
/// one thread.
/// </summary>
public static class ZipPacker
{
    /// <summary>Files up to this size are read whole and compressed in parallel with other entries; larger ones are streamed.</summary>
    public const int InMemoryBytes = 16 * 1024 * 1024;

    private const ushort VersionNeeded = 20;
    private const ushort VersionNeededZip64 = 45;
    private const ushort VersionNeededZstd = 63;
    private const ushort UnixHost = 3 << 8;
    private const ushort Utf8Flag = 0x0800;
    private const ushort DosEpochDate = (0 << 9) | (1 << 5) | 1;
    private const int ExtendedTimestampBytes = 9;
    private const uint Max32 = uint.MaxValue;
    private const int Zip64EndRecordBytes = 56;
    private const int Zip64LocatorBytes = 20;

    /// <summary>A streamed file this large gets a ZIP64 local header in advance: even stored or incompressible, its compressed size may reach 4 GiB.</summary>
    private const long Zip64StreamedFrom = uint.MaxValue - (64L * 1024 * 1024);

    public static async Task WriteAsync(IReadOnlyList<TreeEntry> entries, Stream output, ZipMethod method, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(output);
        var window = Environment.ProcessorCount * 4;
        var pending = new Queue<Task<Compressed>>();
        var central = new MemoryStream();

        // Offsets count from the start of the file: a zip may follow other bytes (a self-extracting stub).
        var offset = output.CanSeek ? output.Position : 0;
        var next = 0;
        using var gate = new SemaphoreSlim(Environment.ProcessorCount);
        while (next < entries.Count || pending.Count > 0)
        {
            while (next < entries.Count && pending.Count < window)
            {
                var entry = entries[next++];
                pending.Enqueue(Task.Run(
                    async () =>
                    {
                        await gate.WaitAsync(ct).ConfigureAwait(false);
                        try
                        {
                            return Compress(entry, method);
                        }
                        finally
                        {
                            gate.Release();
                        }
                    },
                    ct));
            }

            var done = await pending.Dequeue().ConfigureAwait(false);
            Record record;
            if (done.Streamed is { } file)
            {
                record = await WriteStreamedAsync(file, done, output, offset, method, ct).ConfigureAwait(false);
            }
            else
            {
                record = new Record(done.Name, done.Method, done.Crc, done.Data.LongLength, done.Size, offset, done.Mode, done.Mtime, Zip64Local: false);
                var local = LocalHeader(record);
                await output.WriteAsync(local, ct).ConfigureAwait(false);
                await output.WriteAsync(done.Data, ct).ConfigureAwait(false);
            }

            central.Write(CentralHeader(record));
            offset = record.Offset + LocalHeaderBytes(record) + record.CompressedSize;
        }

        var directory = central.ToArray();
        await output.WriteAsync(directory, ct).ConfigureAwait(false);
        await output.WriteAsync(EndRecords(entries.Count, offset, directory.LongLength), ct).ConfigureAwait(false);
    }

    private static Compressed Compress(TreeEntry entry, ZipMethod method)
    {
        var name = Encoding.UTF8.GetBytes(entry.Kind == FileKind.Directory ? entry.Path + "/" : entry.Path);
        switch (entry.Kind)
        {
            case FileKind.Directory:
                return new Compressed(entry, name, Methods.Stored, 0, 0, [], 0x4000 | ((int)entry.Mode & 0x1FF), null);
            case FileKind.Symlink:
                {
                    var target = Encoding.UTF8.GetBytes(entry.LinkTarget!);
                    return new Compressed(entry, name, Methods.Stored, Crc32.HashToUInt32(target), target.Length, target, 0xA000 | 0x1FF, null);
                }

            default:
                {
                    var mode = 0x8000 | ((int)entry.Mode & 0x1FF);
                    if (entry.Content is null && entry.Size > InMemoryBytes)
                    {
                        return new Compressed(entry, name, Methods.Stored, 0, entry.Size, [], mode, entry.MtimeSeconds) { Streamed = entry };
                    }

                    var content = Read(entry);
                    var crc = Crc32.HashToUInt32(content);
                    var (storedAs, data) = Encode(entry.Path, content, method);
                    return new Compressed(entry, name, storedAs, crc, content.Length, data, mode, entry.MtimeSeconds);
                }
        }
    }

    /// <summary>
    /// A file's bytes as the method stores them. auto: stored when its type is already compressed or zstd saves under
    /// 5 %, else zstd. deflate: stored by type, or when deflating a 64 KiB probe spread over the file saves under 5 %,
    /// else deflate. zstd: always zstd. Empty files are stored by every method.
    /// </summary>
    private static (ushort Method, byte[] Data) Encode(string path, byte[] content, ZipMethod method)
    {
        if (content.Length == 0 || method == ZipMethod.Store)
        {
            return (Methods.Stored, content);
        }

        if (method == ZipMethod.Zstd)
        {
            return (Methods.Zstd, ZipZstdEncoder.Compress(content));
        }

        if (CompressionChoice.ShouldStoreByName(path))
        {
            return (Methods.Stored, content);
        }

        if (method == ZipMethod.Auto)
        {
            var zstd = ZipZstdEncoder.Compress(content);
            return (double)zstd.Length / content.Length <= CompressionChoice.StoreAboveRatio ? (Methods.Zstd, zstd) : (Methods.Stored, content);
        }

        // A file no larger than the probe is its own probe: deflated once, kept only if it saves 5 %.
        var small = content.Length <= CompressionChoice.ProbeBytes;
        if (!small && CompressionChoice.ProbeSaysStore(content))
        {
            return (Methods.Stored, content);
        }

        var deflated = Deflate(content);
        var pays = small ? (double)deflated.Length / content.Length <= CompressionChoice.StoreAboveRatio : deflated.Length < content.Length;
        return pays ? (Methods.Deflate, deflated) : (Methods.Stored, content);
    }

    private static byte[] Deflate(byte[] content)
    {
        var deflated = new MemoryStream((content.Length / 3) + 64);
        using (var deflate = new DeflateStream(deflated, CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(content);
        }

        return deflated.ToArray();
    }

    private static byte[] Read(TreeEntry entry)
    {
        try
        {
            return entry.Content ?? File.ReadAllBytes(entry.Source);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"'{entry.Path}': cannot read it ({ex.Message})", ExitCodes.BadInput, ex);
        }
    }

    /// <summary>
    /// A file too large to hold: its local header written with the sizes still unknown, its content streamed (stored,
    /// deflated on this thread, or zstd frames compressed on every core), then the header's CRC and sizes filled in.
    /// </summary>
    private static async Task<Record> WriteStreamedAsync(TreeEntry entry, Compressed c, Stream output, long offset, ZipMethod method, CancellationToken ct)
    {
        if (!output.CanSeek)
        {
            throw new InvalidOperationException("a zip with files over 16 MiB is written to a seekable stream (its local headers are completed after the data)");
        }

        FileStream source;
        try
        {
            source = new FileStream(entry.Source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"'{entry.Path}': cannot read it ({ex.Message})", ExitCodes.BadInput, ex);
        }

        await using (source.ConfigureAwait(false))
        {
            var size = source.Length;
            var probe = new byte[Math.Min(size, CompressionChoice.ProbeBytes)];
            var at = 0;
            foreach (var (sampleOffset, length) in CompressionChoice.ProbeRanges(size))
            {
                at += RandomAccess.Read(source.SafeFileHandle, probe.AsSpan(at, length), sampleOffset);
            }

            // auto cannot compare with the whole file here: zstd keeps what does not compress in raw blocks at its size.
            var storedAs = method switch
            {
                ZipMethod.Store => Methods.Stored,
                ZipMethod.Zstd => Methods.Zstd,
                _ when CompressionChoice.ShouldStoreByName(entry.Path) => Methods.Stored,
                ZipMethod.Auto => Methods.Zstd,
                _ when CompressionChoice.SampleSaysStore(probe) => Methods.Stored,
                _ => Methods.Deflate,
            };

            var placeholder = new Record(c.Name, storedAs, 0, 0, size, offset, c.Mode, c.Mtime, Zip64Local: size >= Zip64StreamedFrom);
            var headerBytes = LocalHeader(placeholder);
            await output.WriteAsync(headerBytes, ct).ConfigureAwait(false);
            var dataStart = output.Position;
            uint crc;
            if (storedAs == Methods.Zstd)
            {
                (_, crc) = await ZipZstdEncoder.CompressAsync(source, size, output, ct).ConfigureAwait(false);
            }
            else
            {
                crc = await CopyAsync(source, storedAs == Methods.Deflate, output, ct).ConfigureAwait(false);
            }

            var end = output.Position;
            var record = placeholder with { Crc = crc, CompressedSize = end - dataStart };
            if (!record.Zip64Local && record.CompressedSize >= Max32)
            {
                throw new CliException($"'{entry.Path}' compressed to 4 GiB or more from less; this should not happen, please report it");
            }

            output.Position = dataStart - headerBytes.Length;
            await output.WriteAsync(LocalHeader(record), ct).ConfigureAwait(false);
            output.Position = end;
            return record;
        }
    }

    /// <summary>Copies (or deflates) the source into the output; returns the CRC-32 of the source.</summary>
    private static async Task<uint> CopyAsync(Stream source, bool deflate, Stream output, CancellationToken ct)
    {
        var crc = new Crc32();
        var sink = deflate ? new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true) : output;
        try
        {
            var buffer = new byte[1 << 20];
            int n;
            while ((n = await source.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                crc.Append(buffer.AsSpan(0, n));
                await sink.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
            }
        }
        finally
        {
            if (deflate)
            {
                await sink.DisposeAsync().ConfigureAwait(false);
            }
        }

        return crc.GetCurrentHashAsUInt32();
    }

    private static ushort Needed(Record r) =>
        r.Method == Methods.Zstd ? VersionNeededZstd : NeedsZip64(r) ? VersionNeededZip64 : VersionNeeded;

    private static bool NeedsZip64(Record r) => r.Zip64Local || r.CompressedSize >= Max32 || r.Size >= Max32 || r.Offset >= Max32;

    private static int LocalHeaderBytes(Record r) => LocalFileHeader.Size + r.Name.Length + (r.Zip64Local ? 20 : 0) + (r.Mtime is null ? 0 : ExtendedTimestampBytes);

    /// <summary>The local header; with <see cref="Record.Zip64Local"/> its sizes are in a ZIP64 field (both, as APPNOTE 4.5.3 requires there).</summary>
    internal static byte[] LocalHeader(Record r)
    {
        var header = new byte[LocalHeaderBytes(r)];
        var h = header.AsSpan();
        var (date, time) = r.Mtime is { } m ? DosTime(m) : (DosEpochDate, (ushort)0);
        BinaryPrimitives.WriteUInt32LittleEndian(h[LocalFileHeader.Signature..], LocalFileHeader.SignatureValue);
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], Needed(r));
        BinaryPrimitives.WriteUInt16LittleEndian(h[LocalFileHeader.Flags..], Utf8Flag);
        BinaryPrimitives.WriteUInt16LittleEndian(h[LocalFileHeader.Method..], r.Method);
        BinaryPrimitives.WriteUInt16LittleEndian(h[10..], time);
        BinaryPrimitives.WriteUInt16LittleEndian(h[12..], date);
        BinaryPrimitives.WriteUInt32LittleEndian(h[LocalFileHeader.Crc32..], r.Crc);
        BinaryPrimitives.WriteUInt32LittleEndian(h[LocalFileHeader.CompressedSize..], r.Zip64Local ? Max32 : (uint)r.CompressedSize);
        BinaryPrimitives.WriteUInt32LittleEndian(h[LocalFileHeader.UncompressedSize..], r.Zip64Local ? Max32 : (uint)r.Size);
        BinaryPrimitives.WriteUInt16LittleEndian(h[LocalFileHeader.NameLength..], (ushort)r.Name.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(h[LocalFileHeader.ExtraLength..], (ushort)(header.Length - LocalFileHeader.Size - r.Name.Length));
        r.Name.CopyTo(h[LocalFileHeader.Size..]);
        var extra = h[(LocalFileHeader.Size + r.Name.Length)..];
        if (r.Zip64Local)
        {
            extra = Zip64Field(extra, [r.Size, r.CompressedSize]);
        }

        Timestamp(extra, r.Mtime);
        return header;
    }

    /// <summary>The central header; each size or offset that does not fit 32 bits (or was ZIP64 in the local header) goes in a ZIP64 field, in APPNOTE's order.</summary>
    internal static byte[] CentralHeader(Record r)
    {
        var wide = new List<long>(3);
        var size = r.Zip64Local || r.Size >= Max32 ? Max32 : (uint)r.Size;
        var compressed = r.Zip64Local || r.CompressedSize >= Max32 ? Max32 : (uint)r.CompressedSize;
        var offset = r.Offset >= Max32 ? Max32 : (uint)r.Offset;
        if (size == Max32)
        {
            wide.Add(r.Size);
        }

        if (compressed == Max32)
        {
            wide.Add(r.CompressedSize);
        }

        if (offset == Max32)
        {
            wide.Add(r.Offset);
        }

        var zip64Bytes = wide.Count == 0 ? 0 : 4 + (8 * wide.Count);
        var header = new byte[CentralDirectoryHeader.Size + r.Name.Length + zip64Bytes + (r.Mtime is null ? 0 : ExtendedTimestampBytes)];
        var h = header.AsSpan();
        var (date, time) = r.Mtime is { } m ? DosTime(m) : (DosEpochDate, (ushort)0);
        var needed = Needed(r);
        BinaryPrimitives.WriteUInt32LittleEndian(h[CentralDirectoryHeader.Signature..], CentralDirectoryHeader.SignatureValue);
        BinaryPrimitives.WriteUInt16LittleEndian(h[CentralDirectoryHeader.VersionMadeBy..], (ushort)(UnixHost | needed));
        BinaryPrimitives.WriteUInt16LittleEndian(h[(CentralDirectoryHeader.VersionMadeBy + 2)..], needed);
        BinaryPrimitives.WriteUInt16LittleEndian(h[CentralDirectoryHeader.Flags..], Utf8Flag);
        BinaryPrimitives.WriteUInt16LittleEndian(h[CentralDirectoryHeader.Method..], r.Method);
        BinaryPrimitives.WriteUInt16LittleEndian(h[CentralDirectoryHeader.LastModifiedTime..], time);
        BinaryPrimitives.WriteUInt16LittleEndian(h[CentralDirectoryHeader.LastModifiedDate..], date);
        BinaryPrimitives.WriteUInt32LittleEndian(h[CentralDirectoryHeader.Crc32..], r.Crc);
        BinaryPrimitives.WriteUInt32LittleEndian(h[CentralDirectoryHeader.CompressedSize..], compressed);
        BinaryPrimitives.WriteUInt32LittleEndian(h[CentralDirectoryHeader.UncompressedSize..], size);
        BinaryPrimitives.WriteUInt16LittleEndian(h[CentralDirectoryHeader.NameLength..], (ushort)r.Name.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(h[CentralDirectoryHeader.ExtraLength..], (ushort)(header.Length - CentralDirectoryHeader.Size - r.Name.Length));
        BinaryPrimitives.WriteUInt32LittleEndian(h[CentralDirectoryHeader.ExternalAttributes..], (uint)r.Mode << 16);
        BinaryPrimitives.WriteUInt32LittleEndian(h[CentralDirectoryHeader.LocalHeaderOffset..], offset);
        r.Name.CopyTo(h[CentralDirectoryHeader.Size..]);
        var extra = h[(CentralDirectoryHeader.Size + r.Name.Length)..];
        if (wide.Count > 0)
        {
            extra = Zip64Field(extra, wide);
        }

        Timestamp(extra, r.Mtime);
        return header;
    }

    /// <summary>Writes a ZIP64 extra field of these values; returns what follows it.</summary>
    private static Span<byte> Zip64Field(Span<byte> extra, IReadOnlyList<long> values)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(extra, ExtraField.Zip64Id);
        BinaryPrimitives.WriteUInt16LittleEndian(extra[2..], (ushort)(8 * values.Count));
        for (var i = 0; i < values.Count; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(extra[(4 + (8 * i))..], values[i]);
        }

        return extra[(4 + (8 * values.Count))..];
    }

    private static void Timestamp(Span<byte> extra, long? mtime)
    {
        if (mtime is { } seconds)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(extra, ExtraField.ExtendedTimestampId);
            BinaryPrimitives.WriteUInt16LittleEndian(extra[2..], 5);
            extra[4] = ExtraField.ExtendedTimestampHasModified;
            BinaryPrimitives.WriteInt32LittleEndian(extra[5..], (int)Math.Clamp(seconds, int.MinValue, int.MaxValue));
        }
    }

    /// <summary>
    /// The end records: the end-of-central-directory record, preceded, when the entry count, the directory's size or its
    /// offset does not fit its field, by the ZIP64 end record and its locator (APPNOTE 4.3.14, 4.3.15), which then hold them.
    /// </summary>
    internal static byte[] EndRecords(long count, long directoryOffset, long directorySize)
    {
        var zip64 = count >= ushort.MaxValue || directoryOffset >= Max32 || directorySize >= Max32;
        var records = new byte[(zip64 ? Zip64EndRecordBytes + Zip64LocatorBytes : 0) + EndOfCentralDirectory.Size];
        var span = records.AsSpan();
        if (zip64)
        {
            var record = span[..Zip64EndRecordBytes];
            BinaryPrimitives.WriteUInt32LittleEndian(record[Zip64EndOfCentralDirectory.Signature..], Zip64EndOfCentralDirectory.SignatureValue);
            BinaryPrimitives.WriteInt64LittleEndian(record[4..], Zip64EndRecordBytes - 12);
            BinaryPrimitives.WriteUInt16LittleEndian(record[12..], UnixHost | VersionNeededZip64);
            BinaryPrimitives.WriteUInt16LittleEndian(record[14..], VersionNeededZip64);
            BinaryPrimitives.WriteInt64LittleEndian(record[24..], count);
            BinaryPrimitives.WriteInt64LittleEndian(record[Zip64EndOfCentralDirectory.Entries..], count);
            BinaryPrimitives.WriteInt64LittleEndian(record[Zip64EndOfCentralDirectory.CentralDirectorySize..], directorySize);
            BinaryPrimitives.WriteInt64LittleEndian(record[Zip64EndOfCentralDirectory.CentralDirectoryOffset..], directoryOffset);
            var locator = span.Slice(Zip64EndRecordBytes, Zip64LocatorBytes);
            BinaryPrimitives.WriteUInt32LittleEndian(locator[Zip64Locator.Signature..], Zip64Locator.SignatureValue);
            BinaryPrimitives.WriteInt64LittleEndian(locator[Zip64Locator.RecordOffset..], directoryOffset + directorySize);
            BinaryPrimitives.WriteUInt32LittleEndian(locator[16..], 1);
        }

        var end = span[^EndOfCentralDirectory.Size..];
        var shortCount = (ushort)Math.Min(count, ushort.MaxValue);
        BinaryPrimitives.WriteUInt32LittleEndian(end[EndOfCentralDirectory.Signature..], EndOfCentralDirectory.SignatureValue);
        BinaryPrimitives.WriteUInt16LittleEndian(end[(EndOfCentralDirectory.Entries - 2)..], shortCount);
        BinaryPrimitives.WriteUInt16LittleEndian(end[EndOfCentralDirectory.Entries..], shortCount);
        BinaryPrimitives.WriteUInt32LittleEndian(end[EndOfCentralDirectory.CentralDirectorySize..], (uint)Math.Min(directorySize, Max32));
        BinaryPrimitives.WriteUInt32LittleEndian(end[EndOfCentralDirectory.CentralDirectoryOffset..], (uint)Math.Min(directoryOffset, Max32));
        return records;
    }

    /// <summary>The DOS date and time of a unix time read as UTC (as the extension reads it back), clamped to 1980–2107.</summary>
    private static (ushort Date, ushort Time) DosTime(long seconds)
    {
        var t = DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(seconds, 315532800L, 4354819198L)).UtcDateTime;
        return ((ushort)(((t.Year - 1980) << 9) | (t.Month << 5) | t.Day), (ushort)((t.Hour << 11) | (t.Minute << 5) | (t.Second / 2)));
    }

    /// <summary>An entry compressed in memory, or (<see cref="Streamed"/>) a large file the writer streams.</summary>
    private sealed record Compressed(TreeEntry Entry, byte[] Name, ushort Method, uint Crc, long Size, byte[] Data, int Mode, long? Mtime)
    {
        public string Path => Entry.Path;

        public TreeEntry? Streamed { get; init; }
    }

    /// <summary>What the central directory says of one entry; <paramref name="Zip64Local"/>: its local header holds its sizes in a ZIP64 field.</summary>
    internal sealed record Record(byte[] Name, ushort Method, uint Crc, long CompressedSize, long Size, long Offset, int Mode, long? Mtime, bool Zip64Local);
}
