using System.Text;

namespace ExtensionCache.Tests.Interop;

/// <summary>
/// A random source tree for <see cref="TarNameDifferentialTests"/>: files, symlinks and empty directories under
/// random directories, whose paths and symlink targets are 1 to 400 bytes of ASCII and multi-byte characters (two,
/// three and four bytes). Wherever the segment there allows it, a multi-byte character lies across each ustar field
/// boundary: bytes 100 and 155 of the stored "./path" (and of the path itself), bytes 100 and 155 of a link target.
/// Every tree is one the extension must publish: segments of at most 255 bytes, no "." or ".." names, link targets
/// relative and inside the bundle, owner read and write (and search) in every mode.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class RandomNameTree
{
    private const int MaxBytes = 400;
    private const int MaxSegmentBytes = 255;
    private const string Ascii = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_. ";

    /// <summary>The byte offsets in a path where a character should straddle: 100 and 155 of "./path", and of the path.</summary>
    private static readonly int[] NameBoundaries = [98, 100, 153, 155];

    private static readonly int[] TargetBoundaries = [100, 155];

    private static readonly string[] MultiByte = ["é", "ü", "ß", "ж", "π", "日", "本", "語", "€", "ア", "🎉", "𝄞", "😀"];

    private static readonly UnixFileMode[] FileModes = [.. new[] { 0x1A4, 0x1ED, 0x180, 0x1C0, 0x1B4, 0x1FD, 0x1E4, 0x184 }.Select(m => (UnixFileMode)m)];

    private static readonly UnixFileMode[] DirectoryModes = [.. new[] { 0x1ED, 0x1C0, 0x1E8, 0x1FD, 0x1C9 }.Select(m => (UnixFileMode)m)];

    private readonly Random _random;
    private readonly SortedDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    private RandomNameTree(Random random) => _random = random;

    public enum Kind
    {
        Directory,
        File,
        Symlink,
    }

    /// <summary>Every path in the tree, parents first (ordinal order).</summary>
    public IEnumerable<Entry> Entries => _entries.Values;

    /// <summary>Draws a tree of three to seven leaves (and their parents) from <paramref name="random"/>.</summary>
    public static RandomNameTree Generate(Random random)
    {
        var tree = new RandomNameTree(random);
        var leaves = random.Next(3, 8);
        for (var added = 0; added < leaves;)
        {
            added += tree.TryAddLeaf() ? 1 : 0;
        }

        return tree;
    }

    /// <summary>Writes the tree into <paramref name="root"/> (which must exist and be empty).</summary>
    public void Write(string root)
    {
        foreach (var entry in _entries.Values)
        {
            var full = Path.Join(root, entry.Path);
            switch (entry.Kind)
            {
                case Kind.Directory:
                    Directory.CreateDirectory(full);
                    break;
                case Kind.File:
                    File.WriteAllBytes(full, entry.Content!);
                    File.SetUnixFileMode(full, entry.Mode);
                    File.SetLastWriteTimeUtc(full, entry.Modified.UtcDateTime);
                    break;
                case Kind.Symlink:
                    File.CreateSymbolicLink(full, entry.Target!);
                    break;
            }
        }

        foreach (var entry in _entries.Values.Where(e => e.Kind == Kind.Directory))
        {
            File.SetUnixFileMode(Path.Join(root, entry.Path), entry.Mode);
        }
    }

    /// <summary>
    /// Whether ustar holds the entry stored as "./path" (with a trailing '/' for a directory): the name field takes
    /// 100 bytes, or the name is split at a '/' into a prefix of up to 155 and a name of up to 100; a link target
    /// takes 100 bytes.
    /// </summary>
    public static bool FitsUstar(Entry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var stored = Encoding.UTF8.GetBytes("./" + entry.Path + (entry.Kind == Kind.Directory ? "/" : string.Empty));
        if (entry.Target is { } target && Encoding.UTF8.GetByteCount(target) > 100)
        {
            return false;
        }

        if (stored.Length <= 100)
        {
            return true;
        }

        for (var slash = 0; slash < stored.Length - 1; slash++)
        {
            if (stored[slash] == '/' && slash <= 155 && stored.Length - slash - 1 <= 100)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether byte <paramref name="at"/> of <paramref name="text"/> (UTF-8) is inside a character that starts before it.</summary>
    public static bool Straddles(string text, int at)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return at < bytes.Length && (bytes[at] & 0xC0) == 0x80;
    }

    private bool TryAddLeaf()
    {
        var length = _random.Next(1, MaxBytes + 1);

        // Often under an existing directory, so several long names share one (GNU tar's "<dir>/PaxHeaders/<name>").
        var directories = _entries.Values.Where(e => e.Kind == Kind.Directory).ToList();
        var parent = directories.Count > 0 && _random.Next(3) == 0 ? directories[_random.Next(directories.Count)].Path : null;
        var path = RandomPath(length, parent, NameBoundaries);
        if (_entries.ContainsKey(path) || Ancestors(path).Any(a => _entries.TryGetValue(a, out var e) && e.Kind != Kind.Directory))
        {
            return false;
        }

        foreach (var ancestor in Ancestors(path))
        {
            if (!_entries.ContainsKey(ancestor))
            {
                _entries[ancestor] = new Entry(ancestor, Kind.Directory, DirectoryModes[_random.Next(DirectoryModes.Length)], null, null, default);
            }
        }

        var roll = _random.Next(20);
        _entries[path] = roll switch
        {
            < 11 => new Entry(path, Kind.File, FileModes[_random.Next(FileModes.Length)], Content(), null, DateTimeOffset.FromUnixTimeSeconds(_random.Next(1_000_000_000, 1_800_000_000))),
            < 17 => new Entry(path, Kind.Symlink, default, null, LinkTarget(path), default),
            _ => new Entry(path, Kind.Directory, DirectoryModes[_random.Next(DirectoryModes.Length)], null, null, default),
        };
        return true;
    }

    private byte[] Content()
    {
        var content = new byte[_random.Next(0, 3000)];
        _random.NextBytes(content);
        return content;
    }

    /// <summary>A relative target of 1 to 400 bytes: up to as many leading "../" as the link is deep, then names.</summary>
    private string LinkTarget(string linkPath)
    {
        var length = _random.Next(1, MaxBytes + 1);
        var depth = linkPath.Count(c => c == '/');
        var ups = _random.Next(0, Math.Min(depth, 3) + 1);
        if (length <= 3 * ups)
        {
            ups = 0;
        }

        var up = string.Concat(Enumerable.Repeat("../", ups));
        return up + RandomPath(length - up.Length, null, TargetBoundaries, up.Length);
    }

    /// <summary>
    /// A path of exactly <paramref name="length"/> bytes (after <paramref name="parent"/> when it leaves room), of
    /// segments of 1 to 255 bytes, with a multi-byte character across each of <paramref name="boundaries"/> that
    /// falls inside a segment with room for it. <paramref name="offset"/> is where the path starts in the string
    /// the boundaries count in.
    /// </summary>
    private string RandomPath(int length, string? parent, int[] boundaries, int offset = 0)
    {
        var prefix = parent is null ? string.Empty : parent + "/";
        if (Encoding.UTF8.GetByteCount(prefix) >= length)
        {
            prefix = string.Empty;
        }

        var rest = length - Encoding.UTF8.GetByteCount(prefix);
        var fewest = Math.Max(1, (rest + MaxSegmentBytes) / (MaxSegmentBytes + 1));
        var most = Math.Max(fewest, Math.Min(6, (rest + 1) / 2));
        var count = _random.Next(fewest, most + 1);
        var sizes = Enumerable.Repeat(1, count).ToArray();
        for (var extra = rest - (count - 1) - count; extra > 0;)
        {
            var i = _random.Next(count);
            var add = Math.Min(extra, Math.Min(MaxSegmentBytes - sizes[i], _random.Next(1, extra + 1)));
            sizes[i] += add;
            extra -= add;
        }

        var builder = new StringBuilder(prefix);
        var at = offset + Encoding.UTF8.GetByteCount(prefix);
        for (var i = 0; i < count; i++)
        {
            if (i > 0)
            {
                builder.Append('/');
                at++;
            }

            string segment;
            do
            {
                segment = Segment(sizes[i], at, boundaries);
            }
            while (segment is "." or "..");

            builder.Append(segment);
            at += sizes[i];
        }

        return builder.ToString();
    }

    /// <summary>A name of exactly <paramref name="size"/> bytes starting at byte <paramref name="at"/>.</summary>
    private string Segment(int size, int at, int[] boundaries)
    {
        var builder = new StringBuilder();
        for (var used = 0; used < size;)
        {
            var room = size - used;
            var position = at + used;

            // A boundary one to three bytes ahead: a character long enough to cross it, if the segment has room.
            var boundary = boundaries.FirstOrDefault(b => b > position && b - position <= 3 && b - position < room, -1);
            var fitting = MultiByte.Where(c => Encoding.UTF8.GetByteCount(c) <= room).ToList();
            string next;
            if (boundary >= 0)
            {
                var crossing = fitting.Where(c => Encoding.UTF8.GetByteCount(c) > boundary - position).ToList();
                next = crossing.Count > 0 ? crossing[_random.Next(crossing.Count)] : Ascii[_random.Next(Ascii.Length)].ToString();
            }
            else
            {
                next = fitting.Count > 0 && _random.Next(5) < 2 ? fitting[_random.Next(fitting.Count)] : Ascii[_random.Next(Ascii.Length)].ToString();
            }

            builder.Append(next);
            used += Encoding.UTF8.GetByteCount(next);
        }

        return builder.ToString();
    }

    private static IEnumerable<string> Ancestors(string path)
    {
        for (var slash = path.IndexOf('/', StringComparison.Ordinal); slash >= 0; slash = path.IndexOf('/', slash + 1))
        {
            yield return path[..slash];
        }
    }

    public sealed record Entry(string Path, Kind Kind, UnixFileMode Mode, byte[]? Content, string? Target, DateTimeOffset Modified);
}
