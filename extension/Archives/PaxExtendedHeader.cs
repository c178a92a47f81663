using System.Globalization;
using System.Text;

namespace ExtensionCache.Extension.Archives;

/// <summary>
/// The records of one PAX extended header (<c>x</c>) that the extension keeps, for the entry that follows it. Names
/// (<c>path</c>, <c>linkpath</c>, <c>GNU.sparse.name</c>) stay bytes: only the one that will be written is decoded
/// and checked, by <see cref="TarHeaderReader"/>, once it knows which one that is.
/// </summary>
public sealed class PaxExtendedHeader
{
    public byte[]? Path { get; private set; }

    public byte[]? LinkPath { get; private set; }

    /// <summary>GNU sparse 0.1 and 1.0: the file's real name; the <c>path</c> then holds a made-up <c>GNUSparseFile.N/</c> name.</summary>
    public byte[]? SparseName { get; private set; }

    public string? Size { get; private set; }

    public string? Mtime { get; private set; }

    public string? SparseMajor { get; private set; }

    public string? SparseSize { get; private set; }

    public string? SparseRealSize { get; private set; }

    /// <summary>GNU sparse 0.0 (offset/numbytes pairs) and 0.1 (<c>GNU.sparse.map</c>): the data ranges, in order.</summary>
    public List<SparseSegment>? SparseMap { get; private set; }

    /// <summary>True when the map had more than the ranges allowed; the ranges past the limit were not kept.</summary>
    public bool SparseMapTooLong { get; private set; }

    /// <summary>
    /// Parses "LENGTH KEY=VALUE\n" records. Errors do not name an entry: the header's own name field is made up by
    /// the writer, and the entry's name may be in a record not read yet.
    /// </summary>
    public static PaxExtendedHeader Parse(byte[] data, int maxSparseSegments)
    {
        var header = new PaxExtendedHeader();
        long? pendingOffset = null;
        var at = 0;
        while (at < data.Length)
        {
            var space = Array.IndexOf(data, (byte)' ', at);
            if (space < 0 || !int.TryParse(data.AsSpan(at, space - at), NumberStyles.None, CultureInfo.InvariantCulture, out var length)
                || length <= space - at || at + length > data.Length || data[at + length - 1] != '\n')
            {
                throw new InvalidDataException($"a PAX extended header{header.Describe()} has a malformed record at byte {at}");
            }

            var record = data.AsSpan(space + 1, at + length - space - 2);
            var equals = record.IndexOf((byte)'=');
            if (equals <= 0)
            {
                throw new InvalidDataException($"a PAX extended header{header.Describe()} has a record without '=' at byte {at}");
            }

            var key = Encoding.UTF8.GetString(record[..equals]);
            var value = record[(equals + 1)..];
            switch (key)
            {
                case "path":
                    header.Path = value.ToArray();
                    break;
                case "linkpath":
                    header.LinkPath = value.ToArray();
                    break;
                case "GNU.sparse.name":
                    header.SparseName = value.ToArray();
                    break;
                case "size":
                    header.Size = Encoding.ASCII.GetString(value);
                    break;
                case "mtime":
                    header.Mtime = Encoding.ASCII.GetString(value);
                    break;
                case "GNU.sparse.major":
                    header.SparseMajor = Encoding.ASCII.GetString(value);
                    break;
                case "GNU.sparse.size":
                    header.SparseSize = Encoding.ASCII.GetString(value);
                    break;
                case "GNU.sparse.realsize":
                    header.SparseRealSize = Encoding.ASCII.GetString(value);
                    break;
                case "GNU.sparse.offset":
                    pendingOffset = TarHeaderReader.Decimal(Encoding.ASCII.GetString(value), key);
                    break;
                case "GNU.sparse.numbytes":
                    header.AddSegment(pendingOffset ?? throw new InvalidDataException("GNU.sparse.numbytes without an offset"), TarHeaderReader.Decimal(Encoding.ASCII.GetString(value), key), maxSparseSegments);
                    pendingOffset = null;
                    break;
                case "GNU.sparse.map":
                    header.SparseMap ??= [];
                    var parts = Encoding.ASCII.GetString(value).Split(',', StringSplitOptions.RemoveEmptyEntries);
                    for (var i = 0; i + 1 < parts.Length; i += 2)
                    {
                        header.AddSegment(TarHeaderReader.Decimal(parts[i], key), TarHeaderReader.Decimal(parts[i + 1], key), maxSparseSegments);
                    }

                    break;
                default:
                    // Other keys (xattrs, atime, uid, uname, hdrcharset...) are not kept.
                    break;
            }

            at += length;
        }

        return header;
    }

    private void AddSegment(long offset, long length, int max)
    {
        SparseMap ??= [];
        if (SparseMap.Count >= max)
        {
            SparseMapTooLong = true;
            return;
        }

        SparseMap.Add(new SparseSegment(offset, length));
    }

    /// <summary>" for 'path'" when a path record came before the fault, for error messages.</summary>
    private string Describe() =>
        Path is null ? string.Empty : $" for '{EntryPathPolicy.Display(Encoding.UTF8.GetString(Path))}'";
}
