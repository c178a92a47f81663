using System.Buffers.Binary;
using System.Text;
using ExtensionCache.Extension.Publishing;
using ExtensionCache.Extension.Sources;

namespace ExtensionCache.Extension.Archives;

/// <summary>
/// Reads a zip's central directory (EOCD, ZIP64 locator and record) from the object's tail.
/// Hand-written because no .NET library extracts a zip from a forward-only stream guided by its central
/// directory (ZipArchive needs a seekable stream, i.e. the archive on disk or in memory).
/// </summary>
public static class ZipCentralDirectory
{
    private const uint EocdSignature = 0x06054b50;
    private const uint Zip64LocatorSignature = 0x07064b50;
    private const uint Zip64EocdSignature = 0x06064b50;
    private const uint CentralHeaderSignature = 0x02014b50;
    private const int EocdSize = 22;
    private const int Zip64LocatorSize = 20;
    private const int Zip64EocdSize = 56;
    private const long MaxCentralDirectoryBytes = 256L * 1024 * 1024;

    /// <summary>The central directory's entries in directory order, and where it starts.</summary>
    public static async Task<(IReadOnlyList<ZipEntryRecord> Entries, long Offset)> ReadAsync(
        IBundleSource source, SourceInfo info, RetryPolicy retry, int maxEntries, CancellationToken ct)
    {
        var length = info.Length;
        if (length < EocdSize)
        {
            throw Corrupt($"the archive is {length} bytes, too short to be a zip");
        }

        var tail = info.Tail;
        var tailStart = length - tail.Length;
        if (tail.Length < Math.Min(length, HttpBundleSource.ProbeTailBytes))
        {
            var want = (int)Math.Min(length, HttpBundleSource.ProbeTailBytes);
            tail = await FetchAsync(source, retry, length - want, want, ct).ConfigureAwait(false);
            tailStart = length - want;
        }

        var eocd = FindEocd(tail.Span);
        var span = tail.Span[eocd..];
        var disk = BinaryPrimitives.ReadUInt16LittleEndian(span[4..]);
        var cdDisk = BinaryPrimitives.ReadUInt16LittleEndian(span[6..]);
        long count = BinaryPrimitives.ReadUInt16LittleEndian(span[10..]);
        long cdSize = BinaryPrimitives.ReadUInt32LittleEndian(span[12..]);
        long cdOffset = BinaryPrimitives.ReadUInt32LittleEndian(span[16..]);
        var endOfDirectory = tailStart + eocd;

        if (eocd >= Zip64LocatorSize
            && BinaryPrimitives.ReadUInt32LittleEndian(tail.Span[(eocd - Zip64LocatorSize)..]) == Zip64LocatorSignature)
        {
            var recordOffset = BinaryPrimitives.ReadInt64LittleEndian(tail.Span[(eocd - Zip64LocatorSize + 8)..]);
            if (recordOffset < 0 || recordOffset + Zip64EocdSize > tailStart + eocd - Zip64LocatorSize)
            {
                throw Corrupt("the ZIP64 end-of-central-directory locator points outside the archive");
            }

            var record = recordOffset >= tailStart
                ? tail.Slice((int)(recordOffset - tailStart), Zip64EocdSize)
                : await FetchAsync(source, retry, recordOffset, Zip64EocdSize, ct).ConfigureAwait(false);
            var r = record.Span;
            if (BinaryPrimitives.ReadUInt32LittleEndian(r) != Zip64EocdSignature)
            {
                throw Corrupt("the ZIP64 end-of-central-directory record is missing");
            }

            disk = (ushort)Math.Min(ushort.MaxValue, BinaryPrimitives.ReadUInt32LittleEndian(r[16..]));
            cdDisk = (ushort)Math.Min(ushort.MaxValue, BinaryPrimitives.ReadUInt32LittleEndian(r[20..]));
            count = BinaryPrimitives.ReadInt64LittleEndian(r[32..]);
            cdSize = BinaryPrimitives.ReadInt64LittleEndian(r[40..]);
            cdOffset = BinaryPrimitives.ReadInt64LittleEndian(r[48..]);
            endOfDirectory = recordOffset;
        }

        if (disk != 0 || cdDisk != 0)
        {
            throw new BundleException(BundleErrorTypes.Unsupported, "the zip is split across several disks, which is not supported");
        }

        if (count > maxEntries)
        {
            throw new BundleException(
                BundleErrorTypes.TooLarge,
                $"the zip declares {count} entries, more than the entry-count cap of {maxEntries}");
        }

        if (cdOffset < 0 || cdSize < 0 || cdOffset + cdSize > endOfDirectory || cdSize > MaxCentralDirectoryBytes)
        {
            throw Corrupt($"the central directory (offset {cdOffset}, {cdSize} bytes) does not fit before the end record at {endOfDirectory}; the archive may be truncated");
        }

        var directory = cdOffset >= tailStart
            ? tail.Slice((int)(cdOffset - tailStart), (int)cdSize)
            : await FetchAsync(source, retry, cdOffset, (int)cdSize, ct).ConfigureAwait(false);
        return (Parse(directory.Span, count, cdOffset), cdOffset);
    }

    private static List<ZipEntryRecord> Parse(ReadOnlySpan<byte> directory, long count, long cdOffset)
    {
        var entries = new List<ZipEntryRecord>((int)Math.Min(count, 65536));
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        var pos = 0;
        for (long i = 0; i < count; i++)
        {
            if (pos + 46 > directory.Length || BinaryPrimitives.ReadUInt32LittleEndian(directory[pos..]) != CentralHeaderSignature)
            {
                throw Corrupt($"central directory record {i} is missing or damaged");
            }

            var h = directory[pos..];
            var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(h[28..]);
            var extraLength = BinaryPrimitives.ReadUInt16LittleEndian(h[30..]);
            var commentLength = BinaryPrimitives.ReadUInt16LittleEndian(h[32..]);
            if (pos + 46 + nameLength + extraLength + commentLength > directory.Length)
            {
                throw Corrupt($"central directory record {i} runs past the directory's end");
            }

            var nameBytes = h.Slice(46, nameLength);
            string name;
            try
            {
                name = utf8.GetString(nameBytes);
            }
            catch (DecoderFallbackException)
            {
                throw EntryPathPolicy.Refuse(Encoding.Latin1.GetString(nameBytes), "the name is not valid UTF-8");
            }

            long compressed = BinaryPrimitives.ReadUInt32LittleEndian(h[20..]);
            long uncompressed = BinaryPrimitives.ReadUInt32LittleEndian(h[24..]);
            long offset = BinaryPrimitives.ReadUInt32LittleEndian(h[42..]);
            ApplyZip64(h.Slice(46 + nameLength, extraLength), ref uncompressed, ref compressed, ref offset, name);
            if (offset < 0 || compressed < 0 || uncompressed < 0 || offset >= cdOffset)
            {
                throw Corrupt($"entry '{EntryPathPolicy.Display(name)}' has a local header offset {offset} outside the archive's data");
            }

            entries.Add(new ZipEntryRecord(
                name,
                BinaryPrimitives.ReadUInt16LittleEndian(h[4..]),
                BinaryPrimitives.ReadUInt16LittleEndian(h[8..]),
                BinaryPrimitives.ReadUInt16LittleEndian(h[10..]),
                BinaryPrimitives.ReadUInt32LittleEndian(h[16..]),
                compressed,
                uncompressed,
                offset,
                BinaryPrimitives.ReadUInt32LittleEndian(h[38..]),
                ModifiedTime(h.Slice(46 + nameLength, extraLength), BinaryPrimitives.ReadUInt16LittleEndian(h[14..]), BinaryPrimitives.ReadUInt16LittleEndian(h[12..]))));
            pos += 46 + nameLength + extraLength + commentLength;
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
        while (extra.Length >= 4)
        {
            var id = BinaryPrimitives.ReadUInt16LittleEndian(extra);
            var size = BinaryPrimitives.ReadUInt16LittleEndian(extra[2..]);
            if (4 + size > extra.Length)
            {
                break;
            }

            if (id == 0x5455 && size >= 5 && (extra[4] & 1) != 0)
            {
                return DateTimeOffset.FromUnixTimeSeconds(BinaryPrimitives.ReadInt32LittleEndian(extra[5..]));
            }

            extra = extra[(4 + size)..];
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
        while (extra.Length >= 4)
        {
            var id = BinaryPrimitives.ReadUInt16LittleEndian(extra);
            var size = BinaryPrimitives.ReadUInt16LittleEndian(extra[2..]);
            if (4 + size > extra.Length)
            {
                break;
            }

            if (id == 0x0001)
            {
                var field = extra.Slice(4, size);
                var at = 0;
                Take(field, ref at, ref uncompressed, name);
                Take(field, ref at, ref compressed, name);
                Take(field, ref at, ref offset, name);
                return;
            }

            extra = extra[(4 + size)..];
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

    private static int FindEocd(ReadOnlySpan<byte> tail)
    {
        for (var i = tail.Length - EocdSize; i >= 0; i--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(tail[i..]) == EocdSignature
                && i + EocdSize + BinaryPrimitives.ReadUInt16LittleEndian(tail[(i + 20)..]) == tail.Length)
            {
                return i;
            }
        }

        throw Corrupt("no end-of-central-directory record: the archive is not a zip or is truncated");
    }

    private static async Task<ReadOnlyMemory<byte>> FetchAsync(IBundleSource source, RetryPolicy retry, long offset, int length, CancellationToken ct) =>
        await retry.ExecuteAsync(
            async (_, token) =>
            {
                var buffer = new byte[length];
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
                timeout.CancelAfter(TimeSpan.FromSeconds(30));
                await using var body = await source.OpenRangeAsync(offset, length, timeout.Token).ConfigureAwait(false);
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

    private static BundleException Corrupt(string message) => new(BundleErrorTypes.Integrity, message);
}
