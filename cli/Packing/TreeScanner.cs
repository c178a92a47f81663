using System.Text;
using ExtensionCache.Extension.Archives;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Failures;

namespace ExtensionCache.Cli.Packing;

/// <summary>
/// Walks a folder into the entries to pack, in ordinal order of their paths, and refuses what the extension would
/// refuse at INIT, with the extension's own rules (<see cref="EntryPathPolicy"/>, <see cref="ExtractionCaps"/> at
/// the default caps): names, links leaving the tree, fifos, sockets, devices, trees over the caps. Hard links are
/// packed as copies (each name gets the file's bytes). Every refusal is collected before anything is written.
/// </summary>
public static class TreeScanner
{
    public static IReadOnlyList<TreeEntry> Scan(string root, long maxBytes = CacheOptions.DefaultMaxBytes, int maxEntries = CacheOptions.DefaultMaxEntries)
    {
        var full = Path.GetFullPath(root);
        if (!Directory.Exists(full))
        {
            throw new CliException(File.Exists(full)
                ? $"'{root}' is a file; expected a folder to pack"
                : $"folder '{root}' does not exist");
        }

        var entries = new List<TreeEntry>();
        var refusals = new List<string>();
        Walk(full, "", entries, refusals);
        entries.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));

        var caps = new ExtractionCaps(maxBytes, maxEntries, "the extension's default unpacked-size cap, EXTENSION_CACHE_MAX_BYTES");
        try
        {
            foreach (var entry in entries)
            {
                caps.CountEntry(entry.Path);
                for (var left = entry.Kind == FileKind.File ? entry.Size : 0; left > 0; left -= int.MaxValue)
                {
                    caps.CountBytes(entry.Path, (int)Math.Min(left, int.MaxValue));
                }
            }
        }
        catch (BundleException ex)
        {
            refusals.Add($"{ex.Message} [{FailureKinds.ErrorType(ex.Kind)}]");
        }

        if (refusals.Count > 0)
        {
            throw new PackRefusedException(refusals);
        }

        return entries;
    }

    private static void Walk(string directory, string relative, List<TreeEntry> entries, List<string> refusals)
    {
        IEnumerable<string> children;
        try
        {
            children = Directory.EnumerateFileSystemEntries(directory).ToList();
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            refusals.Add($"'{(relative.Length == 0 ? "." : relative)}': cannot read the folder ({ex.Message})");
            return;
        }

        foreach (var child in children)
        {
            var name = Path.GetFileName(child);
            var path = relative.Length == 0 ? name : relative + "/" + name;
            try
            {
                Add(child, path, entries, refusals);
            }
            catch (BundleException ex)
            {
                refusals.Add($"{ex.Message} [{FailureKinds.ErrorType(ex.Kind)}]");
            }
            catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
            {
                refusals.Add($"'{path}': cannot read it ({ex.Message})");
            }
        }
    }

    private static void Add(string source, string path, List<TreeEntry> entries, List<string> refusals)
    {
        if (path.Contains('\uFFFD', StringComparison.Ordinal))
        {
            throw EntryPathPolicy.Refuse(path, EntryPathPolicy.NotUtf8Rule);
        }

        var normalized = EntryPathPolicy.Normalize(path);
        if (normalized != path)
        {
            throw EntryPathPolicy.Refuse(path, "the name does not normalize to itself");
        }

        var kind = FileKinds.Of(source);
        switch (kind)
        {
            case FileKind.Directory:
                entries.Add(new TreeEntry(path, kind, source, 0, OperatingSystem.IsWindows() ? (UnixFileMode)0x1ED : File.GetUnixFileMode(source), 0, null));
                Walk(source, path, entries, refusals);
                break;
            case FileKind.File:
                {
                    var info = new FileInfo(source);
                    using (File.OpenHandle(source))
                    {
                        // Opened once so an unreadable file is refused now, not half-way through writing.
                    }

                    entries.Add(new TreeEntry(path, kind, source, info.Length, info.UnixFileMode, new DateTimeOffset(info.LastWriteTimeUtc).ToUnixTimeSeconds(), null));
                    break;
                }

            case FileKind.Symlink:
                {
                    var target = new FileInfo(source).LinkTarget ?? "";
                    EntryPathPolicy.CheckLinkTarget(path, path, target);
                    entries.Add(new TreeEntry(path, kind, source, Encoding.UTF8.GetByteCount(target), (UnixFileMode)0x1FF, 0, target));
                    break;
                }

            case FileKind.Fifo:
                throw EntryPathPolicy.Refuse(path, "fifo entries are not allowed");
            case FileKind.Socket:
                throw EntryPathPolicy.Refuse(path, "sockets cannot be packed");
            case FileKind.CharacterDevice or FileKind.BlockDevice:
                throw EntryPathPolicy.Refuse(path, "device entries are not allowed");
            default:
                throw EntryPathPolicy.Refuse(path, "not a file, folder or symlink");
        }
    }
}
