using ExtensionCache.Extension.Failures;

namespace ExtensionCache.Extension.Archives;

/// <summary>
/// What every path in the staging folder is, recorded as it is created: the security invariant of extraction.
/// The folder is fresh and ours alone, so this table is authoritative: a path is claimed once (a duplicate is
/// refused), and nothing is created under a file or through a symlink, so nothing is ever written through a link.
/// Reader thread only.
/// </summary>
public sealed class EntryPathTable
{
    private readonly Dictionary<string, EntryKind> _kinds = new(StringComparer.Ordinal) { [string.Empty] = EntryKind.ImplicitDirectory };

    public enum EntryKind
    {
        /// <summary>Created as the parent of an entry, not declared by the archive (yet).</summary>
        ImplicitDirectory,
        Directory,
        File,
        Symlink,
    }

    /// <summary>
    /// Records a directory the archive declares. Returns false when a child already made it implicitly: it now
    /// counts as declared and exists on disk. Returns true when it is new and must be created.
    /// </summary>
    public bool DeclareDirectory(string entry, string path)
    {
        if (_kinds.TryGetValue(path, out var kind))
        {
            if (kind == EntryKind.ImplicitDirectory)
            {
                _kinds[path] = EntryKind.Directory;
                return false;
            }

            throw Duplicate(entry);
        }

        return true;
    }

    /// <summary>Refuses a path that is empty or already claimed.</summary>
    public void CheckNew(string entry, string path)
    {
        if (path.Length == 0)
        {
            throw EntryPathPolicy.Refuse(entry, "an empty or '.' name is not allowed");
        }

        if (_kinds.ContainsKey(path))
        {
            throw Duplicate(entry);
        }
    }

    /// <summary>
    /// The ancestors of <paramref name="path"/> that do not exist yet, outermost first. Refuses the path when its
    /// nearest existing ancestor is a file or a symlink.
    /// </summary>
    public IReadOnlyList<string> MissingParents(string entry, string path)
    {
        // The common case, a sibling of an earlier entry: nothing to create, nothing allocated.
        var slash = path.LastIndexOf('/');
        if (_kinds.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(slash < 0 ? [] : path.AsSpan(0, slash), out var kind)
            && kind is EntryKind.Directory or EntryKind.ImplicitDirectory)
        {
            return [];
        }

        var parent = ParentOf(path);
        if (_kinds.TryGetValue(parent, out kind))
        {
            CheckIsDirectory(entry, parent, kind);
            return [];
        }

        var missing = new List<string>();
        do
        {
            missing.Add(parent);
            parent = ParentOf(parent);
        }
        while (!_kinds.TryGetValue(parent, out kind));

        CheckIsDirectory(entry, parent, kind);
        missing.Reverse();
        return missing;
    }

    public void Record(string path, EntryKind kind) => _kinds[path] = kind;

    private static void CheckIsDirectory(string entry, string parent, EntryKind kind)
    {
        switch (kind)
        {
            case EntryKind.Directory or EntryKind.ImplicitDirectory:
                return;
            case EntryKind.Symlink:
                throw EntryPathPolicy.Refuse(entry, $"it would be written through the symlink '{parent}'");
            default:
                throw EntryPathPolicy.Refuse(entry, $"its parent '{parent}' is a file");
        }
    }

    private static string ParentOf(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? string.Empty : path[..slash];
    }

    private static BundleException Duplicate(string entry) =>
        EntryPathPolicy.Refuse(entry, "a duplicate name (the bundle already has an entry at this path)");
}
