using System.IO.Compression;
using System.Text;

namespace ExtensionCache.IntegrationTests.Infrastructure;

/// <summary>
/// A bundle laid out like a Lambda layer (python/, nodejs/, bin/, lib/), built file by file and zipped with each
/// file's unix mode, so an executable in bin/ stays one after the extension unpacks it.
/// </summary>
public sealed class LayerLikeBundle
{
    public const int RegularFile = 0x1A4; // 0644
    public const int Executable = 0x1ED;  // 0755

    private readonly SortedDictionary<string, (byte[] Content, int Mode)> _files = new(StringComparer.Ordinal);

    public LayerLikeBundle Text(string path, string content, int mode = RegularFile) =>
        Bytes(path, Encoding.UTF8.GetBytes(content.ReplaceLineEndings("\n")), mode);

    public LayerLikeBundle Bytes(string path, byte[] content, int mode = RegularFile)
    {
        _files[path] = (content, mode);
        return this;
    }

    /// <summary>A Python package in python/lib/pythonX.Y/site-packages whose <c>hello()</c> names itself.</summary>
    public LayerLikeBundle SitePackage(string pythonVersion, string package) =>
        Text($"python/lib/python{pythonVersion}/site-packages/{package}/__init__.py", $"def hello():\n    return \"hello from {package}\"\n");

    /// <summary>A CommonJS package in <paramref name="folder"/> (a node_modules folder) exporting its file and a greeting.</summary>
    public LayerLikeBundle NodePackage(string folder, string package) =>
        Text($"{folder}/{package}/package.json", $$"""{"name":"{{package}}","version":"1.0.0","main":"index.js"}""")
            .Text($"{folder}/{package}/index.js", $"module.exports = {{ hello: () => 'hello from {package}', file: __filename }};\n");

    /// <summary>An executable shell script in bin/ that prints <paramref name="output"/>.</summary>
    public LayerLikeBundle Tool(string name, string output) =>
        Text($"bin/{name}", $"#!/bin/sh\necho '{output}'\n", Executable);

    /// <summary>lib/<paramref name="fileName"/>: <paramref name="cSource"/> compiled with clang into a shared library.</summary>
    public LayerLikeBundle SharedLibrary(string fileName, string cSource, string workDirectory)
    {
        var source = Path.Combine(workDirectory, fileName + ".c");
        var library = Path.Combine(workDirectory, fileName);
        File.WriteAllText(source, cSource);
        var info = ChildProcess.Info("clang", "-shared", "-fPIC", "-o", library, source);
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        using var process = System.Diagnostics.Process.Start(info)!;
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0
            ? Bytes($"lib/{fileName}", File.ReadAllBytes(library))
            : throw new InvalidOperationException($"clang could not build {fileName}: {errors}");
    }

    public string Zip(string path)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, (content, mode)) in _files)
        {
            var entry = zip.CreateEntry(name, CompressionLevel.Fastest);
            entry.ExternalAttributes = (0x8000 | mode) << 16;
            using var stream = entry.Open();
            stream.Write(content);
        }

        return path;
    }
}
