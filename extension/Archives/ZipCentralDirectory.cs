using System.Buffers.Binary;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Extension.Sources;
using static ExtensionCache.Extension.Archives.ZipFieldLocations;

namespace ExtensionCache.Extension.Archives;

/// <summary>
/// Reads a zip's central directory (EOCD, ZIP64 locator and record) from the object's tail.
/// Hand-written because no .NET library extracts a zip from a forward-only stream guided by its central
/// directory (ZipArchive needs a seekable stream, i.e. the archive on disk or in memory).
/// </summary>
public static class ZipCentralDirectory
{
    /// <summary>
    /// The bytes at the end of an object that hold a zip's end records even with the longest comment: the
    /// end-of-central-directory record and its comment, the ZIP64 locator and the ZIP64 record. A source's probe
    /// fetches this tail anyway, so a small zip's directory needs no second request.
    /// </summary>
    public const int TailBytes = EndOfCentralDirectory.Size + EndOfCentralDirectory.MaxCommentLength + Zip64Locator.Size + Zip64EndOfCentralDirectory.Size;

    private const long MaxCentralDirectoryBytes = 256L * 1024 * 1024;
    private static readonly TimeSpan FetchTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The central directory's entries in directory order, where it starts, and the object's last bytes from there on
    /// (the directory and the end records, or more when the probe's tail held more): a full fetch serves them from
    /// memory instead of requesting them again.
    /// </summary>
    public static async Task<(IReadOnlyList<ZipEntryRecord> Entries, long Offset, ReadOnlyMemory<byte> Tail)> ReadAsync(
        IBundleSource source, SourceInfo info, RetryPolicy retry, int maxEntries, CancellationToken ct)
    {
        var length = info.Length;
        if (length < EndOfCentralDirectory.Size)
        {
            throw Corrupt($"the archive is {length} bytes, too short to be a zip");
        }

        var tail = info.Tail;
        var tailStart = length - tail.Length;
        if (tail.Length < Math.Min(length, TailBytes))
        {
            var want = (int)Math.Min(length, TailBytes);
            tail = await FetchAsync(source, info, retry, length - want, want, ct).ConfigureAwait(false);
            tailStart = length - want;
        }

        var eocd = FindEocd(tail.Span);
        var span = tail.Span[eocd..];
        var disk = BinaryPrimitives.ReadUInt16LittleEndian(span[EndOfCentralDirectory.Disk..]);
        var cdDisk = BinaryPrimitives.ReadUInt16LittleEndian(span[EndOfCentralDirectory.CentralDirectoryDisk..]);
        long count = BinaryPrimitives.ReadUInt16LittleEndian(span[EndOfCentralDirectory.Entries..]);
        long cdSize = BinaryPrimitives.ReadUInt32LittleEndian(span[EndOfCentralDirectory.CentralDirectorySize..]);
        long cdOffset = BinaryPrimitives.ReadUInt32LittleEndian(span[EndOfCentralDirectory.CentralDirectoryOffset..]);
        var endOfDirectory = tailStart + eocd;

        var locator = eocd - Zip64Locator.Size;
        if (locator >= 0
            && BinaryPrimitives.ReadUInt32LittleEndian(tail.Span[(locator + Zip64Locator.Signature)..]) == Zip64Locator.SignatureValue)
        {
            var recordOffset = BinaryPrimitives.ReadInt64LittleEndian(tail.Span[(locator + Zip64Locator.RecordOffset)..]);
            if (recordOffset < 0 || recordOffset + Zip64EndOfCentralDirectory.Size > tailStart + locator)
            {
                throw Corrupt("the ZIP64 end-of-central-directory locator points outside the archive");
            }

            var record = recordOffset >= tailStart
                ? tail.Slice((int)(recordOffset - tailStart), Zip64EndOfCentralDirectory.Size)
                : await FetchAsync(source, info, retry, recordOffset, Zip64EndOfCentralDirectory.Size, ct).ConfigureAwait(false);
            var r = record.Span;
            if (BinaryPrimitives.ReadUInt32LittleEndian(r[Zip64EndOfCentralDirectory.Signature..]) != Zip64EndOfCentralDirectory.SignatureValue)
            {
                throw Corrupt("the ZIP64 end-of-central-directory record is missing");
            }

            disk = (ushort)Math.Min(ushort.MaxValue, BinaryPrimitives.ReadUInt32LittleEndian(r[Zip64EndOfCentralDirectory.Disk..]));
            cdDisk = (ushort)Math.Min(ushort.MaxValue, BinaryPrimitives.ReadUInt32LittleEndian(r[Zip64EndOfCentralDirectory.CentralDirectoryDisk..]));
            count = BinaryPrimitives.ReadInt64LittleEndian(r[Zip64EndOfCentralDirectory.Entries..]);
            cdSize = BinaryPrimitives.ReadInt64LittleEndian(r[Zip64EndOfCentralDirectory.CentralDirectorySize..]);
            cdOffset = BinaryPrimitives.ReadInt64LittleEndian(r[Zip64EndOfCentralDirectory.CentralDirectoryOffset..]);
            endOfDirectory = recordOffset;
        }

        if (disk != 0 || cdDisk != 0)
        {
            throw new BundleException(FailureKind.BundleUnsupported, "the zip is split across several disks, which is not supported");
        }

        if (count > maxEntries)
        {
            throw new BundleException(
                FailureKind.BundleTooLarge,
                $"the zip declares {count} entries, more than the entry-count cap of {maxEntries}");
        }

        if (cdOffset < 0 || cdSize < 0 || cdOffset + cdSize > endOfDirectory || cdSize > MaxCentralDirectoryBytes)
        {
            throw Corrupt($"the central directory (offset {cdOffset}, {cdSize} bytes) does not fit before the end record at {endOfDirectory}; the archive may be truncated");
        }

        if (cdOffset < tailStart)
        {
            // The rest of the directory, joined to the tail: one request, and the object's suffix from the directory on.
            var head = await FetchAsync(source, info, retry, cdOffset, (int)(tailStart - cdOffset), ct).ConfigureAwait(false);
            var joined = new byte[head.Length + tail.Length];
            head.CopyTo(joined);
            tail.CopyTo(joined.AsMemory(head.Length));
            tail = joined;
            tailStart = cdOffset;
        }

        var directory = tail.Slice((int)(cdOffset - tailStart), (int)cdSize);
        return (Parse(directory.Span, count, cdOffset), cdOffset, tail);
    }

    private static List<ZipEntryRecord> Parse(ReadOnlySpan<byte> directory, long count, long cdOffset)
    {
        var entries = new List<ZipEntryRecord>((int)Math.Min(count, 65536));
        var pos = 0;
        for (long i = 0; i < count; i++)
        {
            if (pos + CentralDirectoryHeader.Size > directory.Length
                || BinaryPrimitives.ReadUInt32LittleEndian(directory[(pos + CentralDirectoryHeader.Signature)..]) != CentralDirectoryHeader.SignatureValue)
            {
                throw Corrupt($"central directory record {i} is missing or damaged");
            }

            var h = directory[pos..];
            var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(h[CentralDirectoryHeader.NameLength..]);
            var extraLength = BinaryPrimitives.ReadUInt16LittleEndian(h[CentralDirectoryHeader.ExtraLength..]);
            var commentLength = BinaryPrimitives.ReadUInt16LittleEndian(h[CentralDirectoryHeader.CommentLength..]);
            var recordSize = CentralDirectoryHeader.Size + nameLength + extraLength + commentLength;
            if (pos + recordSize > directory.Length)
            {
                throw Corrupt($"central directory record {i} runs past the directory's end");
            }

            var flags = BinaryPrimitives.ReadUInt16LittleEndian(h[CentralDirectoryHeader.Flags..]);
            var extra = h.Slice(CentralDirectoryHeader.Size + nameLength, extraLength);
            var name = ZipEntryName.Read(flags, h.Slice(CentralDirectoryHeader.Size, nameLength), extra);

            long compressed = BinaryPrimitives.ReadUInt32LittleEndian(h[CentralDirectoryHeader.CompressedSize..]);
            long uncompressed = BinaryPrimitives.ReadUInt32LittleEndian(h[CentralDirectoryHeader.UncompressedSize..]);
            long offset = BinaryPrimitives.ReadUInt32LittleEndian(h[CentralDirectoryHeader.LocalHeaderOffset..]);
            ApplyZip64(extra, ref uncompressed, ref compressed, ref offset, name);
            if (offset < 0 || compressed < 0 || uncompressed < 0 || offset >= cdOffset)
            {
                throw Corrupt($"entry '{EntryPathPolicy.Display(name)}' has a local header offset {offset} outside the archive's data");
            }

            entries.Add(new ZipEntryRecord(
                name,
                BinaryPrimitives.ReadUInt16LittleEndian(h[CentralDirectoryHeader.VersionMadeBy..]),
                flags,
                BinaryPrimitives.ReadUInt16LittleEndian(h[CentralDirectoryHeader.Method..]),
                BinaryPrimitives.ReadUInt32LittleEndian(h[CentralDirectoryHeader.Crc32..]),
                compressed,
                uncompressed,
                offset,
                BinaryPrimitives.ReadUInt32LittleEndian(h[CentralDirectoryHeader.ExternalAttributes..]),
                ModifiedTime(
                    extra,
                    BinaryPrimitives.ReadUInt16LittleEndian(h[CentralDirectoryHeader.LastModifiedDate..]),
                    BinaryPrimitives.ReadUInt16LittleEndian(h[CentralDirectoryHeader.LastModifiedTime..]))));
            pos += recordSize;
        }

        return entries;
    }

    /// <summary>
    /// The entry's mtime: the extended-timestamp extra field (0x5455, unix seconds) when present, else the DOS
    /// date and time read as UTC (Lambda's time zone), like Info-ZIP there. Kept so tools that compare mtimes
    /// (Python's .pyc check) see what was packed.
    /// </summary>
    private static DateTimeOffset? ModifiedTime(ReadOnlySpan<byte> extra, ushort dosDate, ushort dosTime)
    {
        if (ZipExtraField.TryFind(extra, ExtraField.ExtendedTimestampId, out var timestamp)
            && timestamp.Length >= ExtraField.ExtendedTimestampModified + sizeof(int)
            && (timestamp[ExtraField.ExtendedTimestampFlags] & ExtraField.ExtendedTimestampHasModified) != 0)
        {
            return DateTimeOffset.FromUnixTimeSeconds(BinaryPrimitives.ReadInt32LittleEndian(timestamp[ExtraField.ExtendedTimestampModified..]));
        }

        int year = 1980 + (dosDate >> 9), month = (dosDate >> 5) & 0xF, day = dosDate & 0x1F;
        int hour = dosTime >> 11, minute = (dosTime >> 5) & 0x3F, second = (dosTime & 0x1F) * 2;
        return month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(year, month) && hour < 24 && minute < 60 && second < 60
            ? new DateTimeOffset(year, month, day, hour, minute, second, TimeSpan.Zero)
            : null;
    }

    /// <summary>Replaces the 32-bit fields that are 0xFFFFFFFF by the ZIP64 extra field's values, in its fixed order.</summary>
    public static void ApplyZip64(ReadOnlySpan<byte> extra, ref long uncompressed, ref long compressed, ref long offset, string name)
    {
        if (ZipExtraField.TryFind(extra, ExtraField.Zip64Id, out var field))
        {
            var at = 0;
            Take(field, ref at, ref uncompressed, name);
            Take(field, ref at, ref compressed, name);
            Take(field, ref at, ref offset, name);
        }
    }

    private static void Take(ReadOnlySpan<byte> field, ref int at, ref long value, string name)
    {
        if (value != uint.MaxValue)
        {
            return;
        }

        if (at + 8 > field.Length)
        {
            throw Corrupt($"entry '{EntryPathPolicy.Display(name)}' has a ZIP64 extra field too short for its sizes");
        }

        value = BinaryPrimitives.ReadInt64LittleEndian(field[at..]);
        at += 8;
    }

    /// <summary>
    /// The last end record whose comment ends the archive, or is followed only by zero bytes: bsdtar pads its zips
    /// to 10,240-byte blocks when writing to a pipe, and unzip accepts that. Other trailing bytes are refused.
    /// </summary>
    private static int FindEocd(ReadOnlySpan<byte> tail)
    {
        var lastNonZero = tail.LastIndexOfAnyExcept((byte)0);
        for (var i = tail.Length - EndOfCentralDirectory.Size; i >= 0; i--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(tail[(i + EndOfCentralDirectory.Signature)..]) != EndOfCentralDirectory.SignatureValue)
            {
                continue;
            }

            var end = i + EndOfCentralDirectory.Size + BinaryPrimitives.ReadUInt16LittleEndian(tail[(i + EndOfCentralDirectory.CommentLength)..]);
            if (end == tail.Length || (end < tail.Length && lastNonZero < end))
            {
                return i;
            }
        }

        throw Corrupt("no end-of-central-directory record: the archive is not a zip or is truncated");
    }

    private static async Task<ReadOnlyMemory<byte>> FetchAsync(IBundleSource source, SourceInfo info, RetryPolicy retry, long offset, int length, CancellationToken ct) =>
        await retry.ExecuteAsync(
            async (_, token) =>
            {
                var buffer = new byte[length];
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
                timeout.CancelAfter(FetchTimeout);
                await using var body = await source.OpenRangeAsync(info, offset, length, timeout.Token).ConfigureAwait(false);
                try
                {
                    await body.ReadExactlyAsync(buffer, timeout.Token).ConfigureAwait(false);
                }
                catch (EndOfStreamException ex)
                {
                    throw new TransientSourceException($"{source.DisplayName}: short read of bytes {offset}-{offset + length - 1}", ex);
                }

                return (ReadOnlyMemory<byte>)buffer;
            },
            $"GET {source.DisplayName} bytes {offset}-{offset + length - 1}",
            ct).ConfigureAwait(false);

    private static BundleException Corrupt(string message) => CorruptArchive.Structure(message);
}
