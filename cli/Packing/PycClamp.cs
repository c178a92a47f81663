using System.Buffers.Binary;

namespace ExtensionCache.Cli.Packing;

/// <summary>
/// Applies <c>--mtime</c> / <c>SOURCE_DATE_EPOCH</c>: every file mtime later than the epoch is clamped to it, and
/// each <c>__pycache__/NAME.TAG.pyc</c> whose header records its source's original mtime is rewritten to record the
/// clamped one, so Python still finds it valid (a timestamp pyc's 16-byte header: magic, flags = 0, source mtime,
/// source size, little-endian). A pyc that is hash-based (flags ≠ 0) does not depend on mtimes and is left alone.
/// </summary>
public static class PycClamp
{
    private const int HeaderBytes = 16;

    public static IReadOnlyList<TreeEntry> Apply(IReadOnlyList<TreeEntry> entries, long epoch)
    {
        var byPath = entries.ToDictionary(e => e.Path, StringComparer.Ordinal);
        var result = new List<TreeEntry>(entries.Count);
        foreach (var entry in entries)
        {
            if (entry.Kind != FileKind.File)
            {
                result.Add(entry);
                continue;
            }

            var clamped = entry with { MtimeSeconds = Math.Min(entry.MtimeSeconds, epoch) };
            if (SourceOf(entry.Path) is { } sourcePath
                && byPath.TryGetValue(sourcePath, out var source)
                && source.Kind == FileKind.File
                && source.MtimeSeconds > epoch
                && entry.Size >= HeaderBytes)
            {
                var bytes = File.ReadAllBytes(entry.Source);
                var flags = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4));
                var recorded = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
                if (flags == 0 && recorded == (uint)source.MtimeSeconds)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)epoch);
                    clamped = clamped with { Content = bytes, Size = bytes.Length };
                }
            }

            result.Add(clamped);
        }

        return result;
    }

    /// <summary><c>a/__pycache__/m.cpython-312.pyc</c> → <c>a/m.py</c> (also for <c>.opt-1.pyc</c>); null for any other path.</summary>
    public static string? SourceOf(string path)
    {
        if (!path.EndsWith(".pyc", StringComparison.Ordinal))
        {
            return null;
        }

        var slash = path.LastIndexOf('/');
        var directory = slash < 0 ? "" : path[..slash];
        var file = path[(slash + 1)..];
        if (!(directory == "__pycache__" || directory.EndsWith("/__pycache__", StringComparison.Ordinal)))
        {
            return null;
        }

        var module = file.Split('.')[0];
        var parent = directory[..^"__pycache__".Length];
        return parent + module + ".py";
    }
}
