namespace ExtensionCache.Tests.Interop;

/// <summary>
/// The source tree every producer packs: text and binary files, nested and empty directories, exec bits, relative
/// symlinks that stay inside (one with a target over 100 bytes), empty files, a sparse file, unicode names, long names
/// (over 100 bytes of multi-byte characters too, so that the made-up name of a PAX header before them is cut inside a
/// character) and mtimes (even seconds, so zip's two-second DOS times keep them exactly). A <see cref="TreeShape"/>
/// leaves out what ustar and v7 cannot hold.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public static class InteropTree
{
    public const string SparseName = "data/sparse.img";
    public const long SparseSize = 8L * 1024 * 1024;

    private static readonly DateTimeOffset FirstMtime = new(2021, 3, 4, 5, 6, 8, TimeSpan.Zero);

    public static string LongSegment { get; } = "a-file-name-longer-than-one-hundred-bytes-" + new string('n', 70) + ".txt";

    /// <summary>A path over 100 bytes that ustar holds by splitting it into its prefix and name fields.</summary>
    public static string PrefixedPath { get; } = "prefixed/" + new string('p', 60) + "/" + new string('q', 60) + ".txt";

    /// <summary>
    /// A path over 100 bytes of multi-byte characters that ustar holds in its prefix and name fields; as "./path" its
    /// byte 100 is inside a character.
    /// </summary>
    public static string UnicodePrefixedPath { get; } = "préfixés/" + new string('ü', 45) + "/" + new string('日', 30) + ".txt";

    /// <summary>A 120-byte segment of three-byte characters, under a directory (GNU tar's "./long/PaxHeaders/日日…").</summary>
    public static string LongUnicodePath { get; } = "long/" + new string('日', 40);

    /// <summary>A 124-byte name of two-byte characters at the top (libarchive's "PaxHeader/éé…").</summary>
    public static string LongAccentedName { get; } = new string('é', 60) + ".txt";

    public static string DeepDirectory { get; } = string.Join('/', Enumerable.Range(1, 3).Select(i => $"deep{i}-" + new string((char)('a' + i), 90)));

    /// <summary>Writes the tree into <paramref name="root"/> (which must exist and be empty).</summary>
    public static void Write(string root, TreeShape shape = TreeShape.Full)
    {
        var files = new List<string>();
        void Text(string path, string content, UnixFileMode mode = (UnixFileMode)0x1A4)
        {
            var full = Path.Join(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, content);
            File.SetUnixFileMode(full, mode);
            files.Add(path);
        }

        Text("README.md", "# interop\n");
        Text("src/main.py", "#!/usr/bin/env python3\nprint('hi')\n", (UnixFileMode)0x1ED);
        Text("src/pkg/__init__.py", string.Empty);
        Text("bin/tool.sh", "#!/bin/sh\necho tool\n", (UnixFileMode)0x1ED);
        Text("données/café.txt", "unicode names\n");
        Text("日本語/ファイル.txt", "utf-8 beyond latin\n");
        Text("🎉.txt", "astral plane\n");
        if (shape != TreeShape.V7)
        {
            Text(PrefixedPath, "ustar prefix\n");
            Text(UnicodePrefixedPath, "ustar prefix, multi-byte characters\n");
        }

        Text("src/pkg/readonly.cfg", "key=value\n", (UnixFileMode)0x124);

        var blob = new byte[300 * 1024];
        new Random(42).NextBytes(blob);
        File.WriteAllBytes(Path.Join(root, "src/pkg/data.bin"), blob);
        files.Add("src/pkg/data.bin");

        Directory.CreateDirectory(Path.Join(root, "empty-dir"));
        File.CreateSymbolicLink(Path.Join(root, "link-to-main"), "src/main.py");
        File.CreateSymbolicLink(Path.Join(root, "src/pkg/up.py"), "../main.py");

        Directory.CreateDirectory(Path.Join(root, "data"));
        using (var sparse = new FileStream(Path.Join(root, SparseName), FileMode.CreateNew))
        {
            sparse.SetLength(SparseSize);
            foreach (var at in new[] { 0L, 3L * 1024 * 1024, SparseSize - 4096 })
            {
                sparse.Position = at;
                sparse.Write(Enumerable.Repeat((byte)'s', 4096).ToArray());
            }
        }

        files.Add(SparseName);

        if (shape == TreeShape.Full)
        {
            Text($"long/{LongSegment}", "long segment\n");
            Text($"{DeepDirectory}/{LongSegment}", "path over 255 bytes\n");

            // A link target over 100 bytes: GNU 'K' records, PAX linkpath.
            File.CreateSymbolicLink(Path.Join(root, "long/link-to-deep"), $"../{DeepDirectory}/{LongSegment}");

            Text(LongUnicodePath, "a long name of three-byte characters\n");
            Text(LongAccentedName, "a long name of two-byte characters\n");

            // A 120-byte target of three-byte characters: the header's linkname field holds it cut inside a character.
            File.CreateSymbolicLink(Path.Join(root, "long/link-to-日"), Path.GetFileName(LongUnicodePath));
        }

        for (var i = 0; i < files.Count; i++)
        {
            File.SetLastWriteTimeUtc(Path.Join(root, files[i]), FirstMtime.AddSeconds(2 * i).UtcDateTime);
        }
    }
}

/// <summary>Which names a producer's format can hold.</summary>
public enum TreeShape
{
    /// <summary>Everything, with a name segment over 100 bytes and a path over 255.</summary>
    Full,

    /// <summary>No segment over 100 bytes (ustar's name field); paths up to 255 through the prefix field.</summary>
    Ustar,

    /// <summary>No path over 99 bytes (v7 has no prefix field).</summary>
    V7,
}
