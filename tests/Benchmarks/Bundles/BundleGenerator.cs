using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace ExtensionCache.Benchmarks.Bundles;

/// <summary>
/// Writes deterministic zip bundles (fixed seed, fixed timestamps) and caches them under artifacts/bench/bundles,
/// keyed by shape, size and seed, so repeated runs measure the same bytes without regenerating them.
/// </summary>
public sealed class BundleGenerator(string cacheDirectory, int seed)
{
    private const int Version = 1;
    private static readonly DateTimeOffset FixedTime = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public async Task<GeneratedBundle> GetOrCreateAsync(BundleShape shape, int sizeMb, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(cacheDirectory);
        var slug = shape == BundleShape.NodeModules ? "node-modules" : "binary-heavy";
        var key = $"{slug}-{sizeMb}mib-seed{seed}-v{Version}.zip";
        var zipPath = Path.Combine(cacheDirectory, key);
        var metadataPath = zipPath + ".json";
        if (File.Exists(zipPath) && File.Exists(metadataPath))
        {
            await using var read = File.OpenRead(metadataPath);
            var cached = await JsonSerializer.DeserializeAsync(read, BenchJsonContext.Default.BundleMetadata, cancellationToken).ConfigureAwait(false);
            if (cached is not null && new FileInfo(zipPath).Length == cached.ArchiveBytes)
            {
                return new GeneratedBundle(shape, zipPath, key, cached.ArchiveBytes, cached.UnpackedBytes, cached.Files);
            }
        }

        Console.WriteLine($"generating {key} ...");
        var temporary = zipPath + ".partial";
        var targetBytes = (long)sizeMb * 1024 * 1024;
        var (unpacked, files) = await Task.Run(() => Generate(shape, targetBytes, temporary, cancellationToken), cancellationToken).ConfigureAwait(false);
        File.Move(temporary, zipPath, overwrite: true);
        var metadata = new BundleMetadata(key, new FileInfo(zipPath).Length, unpacked, files);
        await using (var write = File.Create(metadataPath))
        {
            await JsonSerializer.SerializeAsync(write, metadata, BenchJsonContext.Default.BundleMetadata, cancellationToken).ConfigureAwait(false);
        }

        return new GeneratedBundle(shape, zipPath, key, metadata.ArchiveBytes, unpacked, files);
    }

    private (long Unpacked, int Files) Generate(BundleShape shape, long targetBytes, string path, CancellationToken cancellationToken)
    {
        var text = new PseudoSourceText(seed, 8 * 1024 * 1024);
        var random = new Random(seed + (int)shape);
        using var file = File.Create(path);
        using var zip = new ZipArchive(file, ZipArchiveMode.Create);
        var writer = new EntryWriter(zip);
        if (shape == BundleShape.NodeModules)
        {
            WriteNodeModules(writer, text, random, targetBytes, cancellationToken);
        }
        else
        {
            WriteBinaryHeavy(writer, text, random, targetBytes, cancellationToken);
        }

        return (writer.Bytes, writer.Files);
    }

    private static void WriteNodeModules(EntryWriter writer, PseudoSourceText text, Random random, long targetBytes, CancellationToken cancellationToken)
    {
        string[] subfolders = ["lib", "dist", "src", "lib/internal", "dist/esm", "dist/cjs", "types"];
        var package = 0;
        string? parent = null;
        while (writer.Bytes < targetBytes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = $"pkg-{package++:D5}-{(char)('a' + random.Next(26))}{(char)('a' + random.Next(26))}";
            var prefix = parent is not null && random.Next(4) == 0
                ? $"node_modules/{parent}/node_modules/{name}/"
                : $"node_modules/{name}/";
            parent = name;
            var manifest = $"{{\n  \"name\": \"{name}\",\n  \"version\": \"{random.Next(10)}.{random.Next(30)}.{random.Next(50)}\",\n  \"main\": \"lib/index.js\",\n  \"license\": \"MIT\"\n}}\n";
            writer.Write(prefix + "package.json", Encoding.ASCII.GetBytes(manifest), executable: false);
            writer.Write(prefix + "README.md", text.Slice(random, random.Next(1024, 8192)), executable: false);
            writer.Write(prefix + "LICENSE", text.Slice(random, 1070), executable: false);
            var count = random.Next(3, 30);
            for (var i = 0; i < count && writer.Bytes < targetBytes; i++)
            {
                // Log-uniform sizes between 300 B and 60 KB: mostly small files, a tail of bigger ones, ~11 KB mean.
                var size = (int)Math.Exp(Math.Log(300) + (random.NextDouble() * (Math.Log(60_000) - Math.Log(300))));
                var folder = subfolders[random.Next(subfolders.Length)];
                writer.Write($"{prefix}{folder}/m{i:D2}.js", text.Slice(random, size), executable: false);
            }
        }
    }

    private static void WriteBinaryHeavy(EntryWriter writer, PseudoSourceText text, Random random, long targetBytes, CancellationToken cancellationToken)
    {
        (string Name, double Share, bool Executable)[] large =
        [
            ("chromium/chrome", 0.45, true),
            ("chromium/libGLESv2.so", 0.07, false),
            ("chromium/libvk_swiftshader.so", 0.06, false),
            ("chromium/resources.pak", 0.12, false),
            ("chromium/icudtl.dat", 0.04, false),
            ("chromium/v8_context_snapshot.bin", 0.03, false),
        ];
        foreach (var (name, share, executable) in large)
        {
            cancellationToken.ThrowIfCancellationRequested();
            writer.WriteBinary(name, (long)(targetBytes * share), executable, text, random, incompressibleOnly: false);
        }

        for (var i = 0; i < 10; i++)
        {
            writer.WriteBinary($"fonts/font-{i:D2}.woff2", (long)(targetBytes * 0.013), executable: false, text, random, incompressibleOnly: true);
        }

        for (var i = 0; writer.Bytes < targetBytes; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var size = (int)Math.Min(targetBytes - writer.Bytes, (long)(targetBytes * 0.002) + 1);
            writer.Write($"chromium/locales/l{i:D3}.pak", text.Slice(random, size), executable: false);
        }
    }

    /// <summary>Adds entries with fixed timestamps and unix modes, counting what they unpack to.</summary>
    private sealed class EntryWriter(ZipArchive zip)
    {
        private const int RegularFile = 0x8000;
        private readonly byte[] _chunk = new byte[64 * 1024];

        public long Bytes { get; private set; }

        public int Files { get; private set; }

        public void Write(string name, ReadOnlyMemory<byte> content, bool executable)
        {
            using var stream = Open(name, executable);
            stream.Write(content.Span);
            Bytes += content.Length;
        }

        /// <summary>64 KiB chunks: random (incompressible), text-like, or sparse, like a real binary's sections.</summary>
        public void WriteBinary(string name, long size, bool executable, PseudoSourceText text, Random random, bool incompressibleOnly)
        {
            using var stream = Open(name, executable);
            for (long left = size; left > 0;)
            {
                var length = (int)Math.Min(left, _chunk.Length);
                var kind = incompressibleOnly ? 0 : random.Next(20);
                if (kind < 9)
                {
                    random.NextBytes(_chunk.AsSpan(0, length));
                    stream.Write(_chunk, 0, length);
                }
                else if (kind < 16)
                {
                    stream.Write(text.Slice(random, length).Span);
                }
                else
                {
                    Array.Clear(_chunk);
                    for (var i = 0; i < length; i += 64)
                    {
                        _chunk[i] = (byte)random.Next(256);
                    }

                    stream.Write(_chunk, 0, length);
                }

                left -= length;
            }

            Bytes += size;
        }

        private Stream Open(string name, bool executable)
        {
            var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
            entry.LastWriteTime = FixedTime;
            entry.ExternalAttributes = (RegularFile | (executable ? 0x1ED : 0x1A4)) << 16;
            Files++;
            return entry.Open();
        }
    }
}
