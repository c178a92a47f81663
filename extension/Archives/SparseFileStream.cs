using ExtensionCache.Extension.Sources;

namespace ExtensionCache.Extension.Archives;

/// <summary>
/// A sparse tar entry expanded to its real content: zeros for the holes, the stored ranges where the map puts
/// them, zeros up to the real size. The map was checked (ordered, inside the real size, covering the stored data)
/// by <see cref="TarHeaderReader"/>; the unpacked-size cap applies to the expanded bytes as they are written.
/// </summary>
public sealed class SparseFileStream(Stream stored, IReadOnlyList<SparseSegment> map, long size) : ReadOnlyStream
{
    private long _position;
    private int _segment;

    public override int Read(Span<byte> buffer)
    {
        var (hole, data) = Next(buffer.Length);
        if (hole > 0)
        {
            buffer[..hole].Clear();
            _position += hole;
            return hole;
        }

        return data == 0 ? 0 : Advance(stored.Read(buffer[..data]));
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var (hole, data) = Next(buffer.Length);
        if (hole > 0)
        {
            buffer.Span[..hole].Clear();
            _position += hole;
            return hole;
        }

        return data == 0 ? 0 : Advance(await stored.ReadAsync(buffer[..data], cancellationToken).ConfigureAwait(false));
    }

    /// <summary>How many zero bytes come next, or else how many stored bytes may be read into a buffer of <paramref name="room"/>.</summary>
    private (int Hole, int Data) Next(int room)
    {
        while (_segment < map.Count && _position >= map[_segment].Offset + map[_segment].Length)
        {
            _segment++;
        }

        if (room == 0 || _position >= size)
        {
            return (0, 0);
        }

        if (_segment == map.Count || _position < map[_segment].Offset)
        {
            var holeEnd = _segment == map.Count ? size : map[_segment].Offset;
            return ((int)Math.Min(room, holeEnd - _position), 0);
        }

        return (0, (int)Math.Min(room, map[_segment].Offset + map[_segment].Length - _position));
    }

    private int Advance(int n)
    {
        _position += n;
        return n;
    }
}
