namespace ExtensionCache.Tests.Fixtures;

/// <summary>One entry for a generated archive: a file (content), a directory (name ending in '/'), or a symlink (target).</summary>
public sealed record ArchiveEntry(string Name, byte[]? Content = null, int Mode = 0, string? LinkTarget = null, DateTimeOffset? Modified = null)
{
    public static ArchiveEntry File(string name, string text, int mode = 0x1A4) => new(name, System.Text.Encoding.UTF8.GetBytes(text), mode);

    public static ArchiveEntry File(string name, byte[] content, int mode = 0x1A4) => new(name, content, mode);

    public static ArchiveEntry Directory(string name, int mode = 0x1ED) => new(name.EndsWith('/') ? name : name + "/", null, mode);

    public static ArchiveEntry Symlink(string name, string target) => new(name, null, 0x1FF, target);

    public bool IsDirectory => Name.EndsWith('/') && LinkTarget is null;
}
