using System.Buffers;
using System.Globalization;
using System.Text;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Extension.Sources;

namespace ExtensionCache.Extension.Archives;

/// <summary>
/// Reads tar headers from a forward-only stream: v7, ustar (with its prefix), GNU (long names L/K, old sparse 'S',
/// incremental 'D', base-256 numbers) and PAX (with or without <c>path</c>, GNU sparse 0.0/0.1/1.0).
/// Hand-written because .NET's TarReader drops the ustar prefix when a PAX header has no path, cannot read sparse
/// files, and overflows on ids of 2^31 and more; uid, gid and owner names are not read at all (they are not kept).
/// Malformed input throws <see cref="InvalidDataException"/>; entry types that are not supported are refused by name.
/// </summary>
public sealed class TarHeaderReader(Stream stream)
{

    private const int Block = 512;
    private const int MaxExtensionBytes = 4 * 1024 * 1024;
    private const int MaxLongNameBytes = 64 * 1024;
    private const int MaxSparseSegments = 100_000;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly Stream _stream = stream;
    private readonly byte[] _header = new byte[Block];
    private long _remaining;
    private long _padding;

    /// <summary>The stored data of the entry last returned (for a sparse file: its mapped ranges, back to back).</summary>
    public Stream Data => new EntryData(this);

    /// <summary>The next entry, or null at the end-of-archive marker. Skips whatever of the previous entry's data was not read.</summary>
    public async Task<TarHeader?> NextAsync(CancellationToken ct)
    {
        // Metadata entries (PAX 'x'/'g', GNU 'L'/'K'/'V') describe the entry after them. Their own name fields are
        // made up by the writer (GNU tar: "<dir>/PaxHeaders/<name>", libarchive: "PaxHeader/<name>", cut at 100
        // bytes, often inside a multi-byte character) and are never read: only the name that will be written is.
        PaxExtendedHeader? pax = null;
        byte[]? longName = null;
        byte[]? longLink = null;
        while (true)
        {
            await SkipAsync(_remaining + _padding, ct).ConfigureAwait(false);
            _remaining = _padding = 0;
            if (!await ReadHeaderAsync(ct).ConfigureAwait(false))
            {
                return null;
            }

            var h = _header;
            var type = (char)h[156];
            var size = Number(h.AsSpan(124, 12), "size");
            SetData(size);
            switch (type)
            {
                case 'x' or 'X':
                    pax = PaxExtendedHeader.Parse(await ReadAllAsync(size, MaxExtensionBytes, "PAX extended header", ct).ConfigureAwait(false), MaxSparseSegments);
                    continue;
                case 'g':
                    // Global PAX records (charset, comments, libarchive's creation data): nothing in them is kept.
                    continue;
                case 'L':
                    longName = TrimNul(await ReadAllAsync(size, MaxLongNameBytes, "GNU long name", ct).ConfigureAwait(false));
                    continue;
                case 'K':
                    longLink = TrimNul(await ReadAllAsync(size, MaxLongNameBytes, "GNU long link name", ct).ConfigureAwait(false));
                    continue;
                case 'V':
                    // A GNU volume label names the archive, not a file; GNU tar skips it when extracting.
                    continue;
            }

            // The name that will be written. GNU.sparse.name wins over path, whichever comes first, for any entry
            // (as in GNU tar and libarchive): with sparse 0.1 and 1.0 the path is a made-up "GNUSparseFile.N/" name.
            var name = DecodeName(pax?.SparseName ?? pax?.Path ?? longName ?? ClassicName(h));
            if (pax?.Size is { } paxSize)
            {
                size = Decimal(paxSize, "PAX size");
                SetData(size);
            }

            var mode = (UnixFileMode)(Number(h.AsSpan(100, 8), "mode") & 0xFFF);
            var modified = pax?.Mtime is { } paxTime ? Time(paxTime) : Seconds(NumberOrNull(h.AsSpan(136, 12)));
            var kind = type switch
            {
                '0' or '7' => TarEntryKind.File,
                '\0' => name.EndsWith('/') ? TarEntryKind.Directory : TarEntryKind.File,
                '5' or 'D' => TarEntryKind.Directory,
                '2' => TarEntryKind.Symlink,
                '1' => TarEntryKind.HardLink,
                '3' or '4' => TarEntryKind.Device,
                '6' => TarEntryKind.Fifo,
                'S' => TarEntryKind.File,
                'M' => throw EntryPathPolicy.Refuse(name, "a GNU multi-volume continuation is not supported (create the archive as one volume)"),
                _ => throw EntryPathPolicy.Refuse(name, $"tar entry type '{Printable(type)}' is not supported"),
            };

            if (pax?.SparseMapTooLong == true)
            {
                throw TooManySegments(name);
            }

            if (type == 'S')
            {
                var segments = await OldGnuSparseMapAsync(name, ct).ConfigureAwait(false);
                return Sparse(name, mode, modified, segments, Number(h.AsSpan(483, 12), "GNU sparse real size"), size);
            }

            if (pax is not null && kind == TarEntryKind.File && pax.SparseMajor == "1")
            {
                var segments = await Sparse1MapAsync(name, ct).ConfigureAwait(false);
                return Sparse(name, mode, modified, segments, Decimal(pax.SparseRealSize ?? "", "GNU.sparse.realsize"), _remaining);
            }

            if (pax is not null && kind == TarEntryKind.File && (pax.SparseMap is not null || pax.SparseSize is not null))
            {
                return Sparse(name, mode, modified, pax.SparseMap ?? [], Decimal(pax.SparseSize ?? "", "GNU.sparse.size"), size);
            }

            // The header's own linkname field is read only when it is the target that will be written.
            var link = kind is TarEntryKind.Symlink or TarEntryKind.HardLink
                ? LinkTarget(name, kind, pax?.LinkPath ?? longLink ?? TrimNul(h.AsSpan(157, 100).ToArray()))
                : string.Empty;
            return new TarHeader(kind, name, link, kind == TarEntryKind.File ? size : 0, mode, modified, null);
        }
    }

    private TarHeader Sparse(string name, UnixFileMode mode, DateTimeOffset? modified, List<SparseSegment> segments, long realSize, long stored)
    {
        long end = 0, total = 0;
        foreach (var s in segments)
        {
            if (s.Offset < end || s.Length < 0 || s.Offset > realSize - s.Length)
            {
                throw new InvalidDataException($"the sparse map of '{EntryPathPolicy.Display(name)}' has overlapping or out-of-range segments");
            }

            end = s.Offset + s.Length;
            total += s.Length;
        }

        if (total != stored)
        {
            throw new InvalidDataException($"the sparse map of '{EntryPathPolicy.Display(name)}' maps {total} bytes but {stored} are stored");
        }

        return new TarHeader(TarEntryKind.File, name, string.Empty, realSize, mode, modified, segments);
    }

    private void SetData(long size)
    {
        if (size < 0)
        {
            throw new InvalidDataException("a negative entry size");
        }

        _remaining = size;
        _padding = (Block - (size % Block)) % Block;
    }

    private async Task<bool> ReadHeaderAsync(CancellationToken ct)
    {
        var read = await _stream.ReadAtLeastAsync(_header, Block, throwOnEndOfStream: false, ct).ConfigureAwait(false);
        if (read == 0)
        {
            // Every tar writer ends with zero blocks; without them the archive was cut off at an entry boundary,
            // which gzip's reader does not notice by itself.
            throw new EndOfStreamException("the archive ends without tar's end-of-archive marker (truncated)");
        }

        if (read < Block)
        {
            throw new EndOfStreamException("the archive ends inside a tar header");
        }

        if (_header.AsSpan().IndexOfAnyExcept((byte)0) < 0)
        {
            return false;
        }

        long stored = Number(_header.AsSpan(148, 8), "checksum");
        long unsigned = 0, signed = 0;
        for (var i = 0; i < Block; i++)
        {
            var b = i is >= 148 and < 156 ? (byte)' ' : _header[i];
            unsigned += b;
            signed += (sbyte)b;
        }

        if (stored != unsigned && stored != signed)
        {
            throw new InvalidDataException("a tar header checksum does not match (not a tar archive, or corrupt)");
        }

        return true;
    }

    private async Task<List<SparseSegment>> OldGnuSparseMapAsync(string name, CancellationToken ct)
    {
        var segments = new List<SparseSegment>();
        AddOldGnuSegments(_header.AsSpan(386, 4 * 24), segments, name);
        var extended = _header[482] != 0;
        var block = new byte[Block];
        while (extended)
        {
            await ReadExactAsync(block, ct).ConfigureAwait(false);
            AddOldGnuSegments(block.AsSpan(0, 21 * 24), segments, name);
            extended = block[504] != 0;
        }

        return segments;
    }

    private static void AddOldGnuSegments(ReadOnlySpan<byte> entries, List<SparseSegment> segments, string name)
    {
        for (var at = 0; at + 24 <= entries.Length; at += 24)
        {
            if (entries[at] == 0)
            {
                return;
            }

            AddSegment(segments, Number(entries.Slice(at, 12), "sparse offset"), Number(entries.Slice(at + 12, 12), "sparse length"), name);
        }
    }

    /// <summary>GNU sparse 1.0: the map is decimal text at the start of the data, padded to a block.</summary>
    private async Task<List<SparseSegment>> Sparse1MapAsync(string name, CancellationToken ct)
    {
        var block = new byte[Block];
        var numbers = new List<long>();
        var digits = new StringBuilder();
        long wanted = -1;
        while (wanted < 0 || numbers.Count < (2 * wanted) + 1)
        {
            if (_remaining < Block)
            {
                throw new InvalidDataException($"the sparse map of '{EntryPathPolicy.Display(name)}' runs past its data");
            }

            await ReadExactAsync(block, ct).ConfigureAwait(false);
            _remaining -= Block;
            foreach (var b in block)
            {
                if (wanted >= 0 && numbers.Count >= (2 * wanted) + 1)
                {
                    break;
                }

                if (b == '\n')
                {
                    numbers.Add(Decimal(digits.ToString(), "sparse map"));
                    digits.Clear();
                    if (numbers.Count == 1)
                    {
                        wanted = numbers[0] <= MaxSparseSegments ? numbers[0] : throw TooManySegments(name);
                    }
                }
                else if (b is >= (byte)'0' and <= (byte)'9' && digits.Length < 20)
                {
                    digits.Append((char)b);
                }
                else
                {
                    throw new InvalidDataException($"the sparse map of '{EntryPathPolicy.Display(name)}' is not decimal text");
                }
            }
        }

        var segments = new List<SparseSegment>((int)wanted);
        for (var i = 1; i < numbers.Count; i += 2)
        {
            AddSegment(segments, numbers[i], numbers[i + 1], name);
        }

        return segments;
    }

    private static void AddSegment(List<SparseSegment> segments, long offset, long length, string name)
    {
        if (segments.Count >= MaxSparseSegments)
        {
            throw TooManySegments(name);
        }

        segments.Add(new SparseSegment(offset, length));
    }

    private static BundleException TooManySegments(string name) => new(
        FailureKind.BundleUnsupported,
        $"entry '{EntryPathPolicy.Display(name)}' refused: a sparse file with more than {MaxSparseSegments} data ranges is not supported");

    /// <summary>The header's own name: the name field, after the prefix field in POSIX ustar. Bytes, decoded only if written.</summary>
    private static byte[] ClassicName(byte[] h)
    {
        var name = TrimNul(h.AsSpan(0, 100).ToArray());

        // POSIX ustar ("ustar\0"): a non-empty prefix is the leading part of the path, split from the name at a '/'.
        // GNU's "ustar  \0" keeps other fields there.
        if (h.AsSpan(257, 6).SequenceEqual("ustar\0"u8) && h[345] != 0)
        {
            return [.. TrimNul(h.AsSpan(345, 155).ToArray()), (byte)'/', .. name];
        }

        return name;
    }

    private static byte[] TrimNul(byte[] bytes)
    {
        var nul = Array.IndexOf(bytes, (byte)0);
        return nul < 0 ? bytes : bytes[..nul];
    }

    /// <summary>Names must be UTF-8 (the PAX rule; a Linux file name in any other encoding would arrive renamed).</summary>
    private static string DecodeName(byte[] bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw EntryPathPolicy.Refuse(Encoding.Latin1.GetString(bytes), EntryPathPolicy.NotUtf8Rule);
        }
    }

    /// <summary>
    /// A link's target, for the entry <paramref name="name"/>: a symlink's must be UTF-8 like any name (it is written
    /// as it is); a hard link is refused whatever its target, which is then only shown (as Latin-1 if need be).
    /// </summary>
    private static string LinkTarget(string name, TarEntryKind kind, byte[] bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException) when (kind == TarEntryKind.HardLink)
        {
            return Encoding.Latin1.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw EntryPathPolicy.Refuse(
                name,
                $"its symlink target '{EntryPathPolicy.Display(Encoding.Latin1.GetString(bytes))}' is not valid UTF-8, so it cannot be written as it is (pack it from a UTF-8 locale)");
        }
    }

    /// <summary>An octal field (space or NUL terminated), or GNU's base-256 (high bit set) for values that do not fit.</summary>
    private static long Number(ReadOnlySpan<byte> field, string what) =>
        NumberOrNull(field) is { } value && value >= 0 ? value : throw new InvalidDataException($"a tar header's {what} field is not a valid number");

    private static long? NumberOrNull(ReadOnlySpan<byte> field)
    {
        if (field.Length > 0 && (field[0] & 0x80) != 0)
        {
            if (field[0] != 0x80)
            {
                return null; // negative (0xFF): only a pre-1970 mtime would be; it is not kept
            }

            long big = 0;
            foreach (var b in field[1..])
            {
                if (big > (long.MaxValue >> 8))
                {
                    return null;
                }

                big = (big << 8) | b;
            }

            return big;
        }

        long value = 0;
        var i = 0;
        while (i < field.Length && field[i] is (byte)' ' or 0)
        {
            i++;
        }

        if (i == field.Length)
        {
            return 0;
        }

        for (; i < field.Length && field[i] is >= (byte)'0' and <= (byte)'7'; i++)
        {
            value = (value << 3) | (uint)(field[i] - '0');
        }

        return i == field.Length || field[i] is (byte)' ' or 0 ? value : null;
    }

    internal static long Decimal(string text, string what) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new InvalidDataException($"a tar {what} value '{EntryPathPolicy.Display(text)}' is not a non-negative number");

    private static DateTimeOffset? Seconds(long? seconds)
    {
        try
        {
            return seconds is { } s ? DateTimeOffset.FromUnixTimeSeconds(s) : null;
        }
        catch (ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>A PAX mtime: decimal seconds with an optional fraction.</summary>
    private static DateTimeOffset? Time(string text)
    {
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        if (!long.TryParse(dot < 0 ? text : text[..dot], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds))
        {
            return null;
        }

        var fraction = dot < 0 ? string.Empty : text[(dot + 1)..];
        var ticks = fraction.Length == 0 || !fraction.All(char.IsAsciiDigit) ? 0 : long.Parse(fraction.PadRight(7, '0')[..7], CultureInfo.InvariantCulture);
        return Seconds(seconds)?.AddTicks(seconds < 0 ? -ticks : ticks);
    }

    private static string Printable(char type) => char.IsControl(type) || type > '~' ? $"\\x{(int)type:x2}" : type.ToString();

    private async Task<byte[]> ReadAllAsync(long size, int max, string what, CancellationToken ct)
    {
        if (size > max)
        {
            throw new BundleException(FailureKind.BundleUnsupported, $"a tar {what} of {size} bytes is larger than the {max} bytes supported");
        }

        var data = new byte[size];
        await ReadExactAsync(data, ct).ConfigureAwait(false);
        _remaining = 0;
        return data;
    }

    private async Task ReadExactAsync(byte[] buffer, CancellationToken ct) =>
        await _stream.ReadExactlyAsync(buffer, ct).ConfigureAwait(false);

    private async Task SkipAsync(long count, CancellationToken ct)
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
                var n = await _stream.ReadAsync(scratch.AsMemory(0, (int)Math.Min(scratch.Length, count)), ct).ConfigureAwait(false);
                if (n == 0)
                {
                    throw new EndOfStreamException("the archive ends inside an entry's data");
                }

                count -= n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>The current entry's stored bytes; a short archive is an error, not an early end.</summary>
    private sealed class EntryData(TarHeaderReader reader) : ReadOnlyStream
    {
        public override int Read(Span<byte> buffer)
        {
            if (reader._remaining <= 0 || buffer.Length == 0)
            {
                return 0;
            }

            var n = reader._stream.Read(buffer[..(int)Math.Min(buffer.Length, reader._remaining)]);
            return Took(n);
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (reader._remaining <= 0 || buffer.Length == 0)
            {
                return 0;
            }

            var n = await reader._stream.ReadAsync(buffer[..(int)Math.Min(buffer.Length, reader._remaining)], cancellationToken).ConfigureAwait(false);
            return Took(n);
        }

        private int Took(int n)
        {
            if (n == 0)
            {
                throw new EndOfStreamException("the archive ends inside an entry's data");
            }

            reader._remaining -= n;
            return n;
        }
    }
}
