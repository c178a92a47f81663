using System.Diagnostics;

namespace ExtensionCache.Cli.Tests;

/// <summary>The source trees the tests pack: real files with real mtimes.</summary>
public static class Trees
{
    /// <summary>A Python-like package with a compiled <c>__pycache__</c> (python3's own py_compile), a link and an executable.</summary>
    public static async Task<string> PythonAsync(string root)
    {
        var package = Path.Join(root, "app", "pkg");
        Directory.CreateDirectory(package);
        await File.WriteAllTextAsync(Path.Join(package, "__init__.py"), "VALUE = 42\n");
        await File.WriteAllTextAsync(Path.Join(package, "util.py"), "def double(x):\n    return 2 * x\n");
        await File.WriteAllTextAsync(Path.Join(root, "app", "handler.py"), "from pkg import util\n\ndef handler(event, context):\n    return util.double(21)\n");
        File.SetLastWriteTimeUtc(Path.Join(package, "util.py"), new DateTime(2031, 5, 6, 7, 8, 9, DateTimeKind.Utc));
        File.SetLastWriteTimeUtc(Path.Join(package, "__init__.py"), new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc));
        var compile = ChildProcess.Info("python3", "-m", "compileall", "-q", Path.Join(root, "app"));
        (await ChildProcess.RunAsync(compile, TimeSpan.FromMinutes(1))).EnsureSucceeded();
        File.CreateSymbolicLink(Path.Join(root, "app", "current"), "pkg");
        await File.WriteAllTextAsync(Path.Join(root, "app", "run.sh"), "#!/bin/sh\necho hi\n");
        File.SetUnixFileMode(Path.Join(root, "app", "run.sh"), (UnixFileMode)0x1ED);
        return Path.Join(root, "app");
    }

    /// <summary>Already-compressed and random files next to text: some stored, some deflated.</summary>
    public static string BinaryHeavy(string root)
    {
        var tree = Path.Join(root, "bin");
        Directory.CreateDirectory(Path.Join(tree, "lib"));
        var random = new Random(7);
        var noise = new byte[300_000];
        random.NextBytes(noise);
        File.WriteAllBytes(Path.Join(tree, "lib", "blob.so"), noise);
        File.WriteAllBytes(Path.Join(tree, "lib", "model.gz"), noise[..100_000]);
        File.WriteAllText(Path.Join(tree, "notes.txt"), string.Concat(Enumerable.Repeat("hello bundle\n", 20_000)));
        File.WriteAllBytes(Path.Join(tree, "empty.bin"), []);
        Directory.CreateDirectory(Path.Join(tree, "empty-dir"));
        return tree;
    }

    /// <summary>
    /// Files for every path of the zip writer: a file streamed in frames (over 16 MiB, random then text), one compressed in
    /// memory as several frames (3 MiB of text), single frames on both sides of 128 KiB, an empty file, an executable,
    /// a link, and content that is random or already compressed by name.
    /// </summary>
    public static string Mixed(string root)
    {
        var tree = Path.Join(root, "mixed");
        Directory.CreateDirectory(Path.Join(tree, "lib"));
        var random = new Random(11);
        var noise = new byte[8 * 1024 * 1024];
        random.NextBytes(noise);
        var text = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 600_000).Select(i => $"line {i} of a generated module\n")));
        using (var large = File.Create(Path.Join(tree, "lib", "large.bin")))
        {
            large.Write(noise);
            large.Write(text);
        }

        File.WriteAllBytes(Path.Join(tree, "lib", "text-3mib.js"), text[..(3 * 1024 * 1024)]);
        File.WriteAllBytes(Path.Join(tree, "zeros-128k"), new byte[128 * 1024]);
        File.WriteAllBytes(Path.Join(tree, "zeros-127k"), new byte[(128 * 1024) - 1]);
        File.WriteAllBytes(Path.Join(tree, "random.so"), noise[..300_000]);
        File.WriteAllBytes(Path.Join(tree, "model.gz"), text[..100_000]);
        File.WriteAllBytes(Path.Join(tree, "empty"), []);
        File.WriteAllText(Path.Join(tree, "run.sh"), "#!/bin/sh\necho hi\n");
        File.SetUnixFileMode(Path.Join(tree, "run.sh"), (UnixFileMode)0x1ED);
        File.CreateSymbolicLink(Path.Join(tree, "current"), "lib");
        return tree;
    }

    /// <summary>The pyc headers under <paramref name="tree"/>: each timestamp pyc's recorded source mtime and size against the source file's.</summary>
    public static IReadOnlyList<(string Pyc, uint RecordedMtime, uint RecordedSize, long SourceMtime, long SourceSize)> PycHeaders(string tree) =>
        [.. Directory.EnumerateFiles(tree, "*.pyc", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }).Select(pyc =>
        {
            var header = File.ReadAllBytes(pyc).AsSpan(0, 16);
            var source = Path.Join(Path.GetDirectoryName(Path.GetDirectoryName(pyc)), Path.GetFileName(pyc).Split('.')[0] + ".py");
            return (pyc,
                System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(header[8..]),
                System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(header[12..]),
                Unpacker.Seconds(source),
                new FileInfo(source).Length);
        })];
}
