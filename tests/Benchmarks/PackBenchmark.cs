using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using ExtensionCache.Benchmarks.Bundles;
using ExtensionCache.Benchmarks.Measurement;
using ExtensionCache.Extension.Archives;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Sources;
using ExtensionCache.TestSupport;

namespace ExtensionCache.Benchmarks;

/// <summary>
/// <c>pack</c>: the bundle tool's <c>pack --method deflate</c> against Info-ZIP <c>zip -r -q</c> on the same node_modules-like tree
/// (BundleGenerator's, unpacked to a folder), both as processes, in the same run; then the extension's extractor
/// unpacking each archive into a tmpfs, alternating which goes first. Prints medians and ratios.
/// </summary>
public static class PackBenchmark
{
    public static async Task<int> RunAsync(int sizeMb, int runs, int seed, CancellationToken ct)
    {
        var bench = Path.Join(RepositoryRoot.Path, "artifacts", "bench");
        var bundle = await new BundleGenerator(Path.Join(bench, "bundles"), seed).GetOrCreateAsync(BundleShape.NodeModules, sizeMb, ct).ConfigureAwait(false);
        var tree = Path.Join(bench, $"pack-tree-{sizeMb}mib-seed{seed}");
        if (!Directory.Exists(tree))
        {
            ZipFile.ExtractToDirectory(bundle.ZipPath, tree + ".partial", overwriteFiles: true);
            Directory.Move(tree + ".partial", tree);
        }

        var work = Directory.CreateTempSubdirectory("pack-bench-").FullName;
        // Unpacking goes to a tmpfs of its own, as in the main benchmark: the extractor is measured, not the disk's
        // writeback of the previous run's files.
        await using var scratch = await ScratchFilesystem.CreateAsync(Math.Max(2L << 30, bundle.UnpackedBytes * 2), ct).ConfigureAwait(false);
        try
        {
            var zipOut = Path.Join(work, "zip-r.zip");
            var packOut = Path.Join(work, "pack.zip");
            var tool = Path.Join(AppContext.BaseDirectory, "extension-cache-bundle.dll");
            var zipTimes = new List<double>();
            var packTimes = new List<double>();
            var unzipTimes = new List<double>();
            var unpackTimes = new List<double>();
            for (var run = 0; run < runs; run++)
            {
                File.Delete(zipOut);
                zipTimes.Add(await TimeAsync(ChildProcess.Info("zip", "-r", "-q", zipOut, "."), tree, ct).ConfigureAwait(false));
                packTimes.Add(await TimeAsync(ChildProcess.Info("dotnet", tool, "pack", tree, "-o", packOut, "--method", "deflate"), tree, ct).ConfigureAwait(false));
                // Alternating which archive goes first, so whatever the first unpack leaves behind weighs on both.
                if (run % 2 == 0)
                {
                    unzipTimes.Add(await UnpackAsync(zipOut, scratch.Path, ct).ConfigureAwait(false));
                    unpackTimes.Add(await UnpackAsync(packOut, scratch.Path, ct).ConfigureAwait(false));
                }
                else
                {
                    unpackTimes.Add(await UnpackAsync(packOut, scratch.Path, ct).ConfigureAwait(false));
                    unzipTimes.Add(await UnpackAsync(zipOut, scratch.Path, ct).ConfigureAwait(false));
                }
            }

            var c = CultureInfo.InvariantCulture;
            Console.WriteLine(string.Create(c, $"tree: {bundle.Files:N0} files, {bundle.UnpackedBytes / 1048576.0:F1} MiB (node_modules-like, seed {seed}); {Environment.ProcessorCount} cores; median of {runs}"));
            Console.WriteLine(string.Create(c, $"| step | zip -r -q | extension-cache-bundle pack | ratio |"));
            Console.WriteLine("|---|---|---|---|");
            Console.WriteLine(string.Create(c, $"| pack (process, wall) | {Median(zipTimes):F0} ms | {Median(packTimes):F0} ms | {Median(packTimes) / Median(zipTimes):F2} |"));
            Console.WriteLine(string.Create(c, $"| archive size | {new FileInfo(zipOut).Length / 1048576.0:F1} MiB | {new FileInfo(packOut).Length / 1048576.0:F1} MiB | {(double)new FileInfo(packOut).Length / new FileInfo(zipOut).Length:F2} |"));
            Console.WriteLine(string.Create(c, $"| extension unpack (in-process, 2 workers, {(scratch.IsDedicated ? "tmpfs" : "temp folder")}) | {Median(unzipTimes):F0} ms | {Median(unpackTimes):F0} ms | {Median(unpackTimes) / Median(unzipTimes):F2} |"));
            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task<double> TimeAsync(ProcessStartInfo info, string directory, CancellationToken ct)
    {
        info.WorkingDirectory = directory;
        var result = await ChildProcess.RunAsync(info, TimeSpan.FromMinutes(20), cancellationToken: ct).ConfigureAwait(false);
        result.EnsureSucceeded();
        return result.Elapsed.TotalMilliseconds;
    }

    private static async Task<double> UnpackAsync(string archive, string work, CancellationToken ct)
    {
        var destination = Path.Join(work, "unpacked");
        if (Directory.Exists(destination))
        {
            Directory.Delete(destination, recursive: true);
        }

        Directory.CreateDirectory(destination);
        var stopwatch = Stopwatch.StartNew();
        var source = new FileBundleSource(archive);
        var retry = new RetryPolicy(TimeProvider.System);
        var info = await source.ProbeAsync(ct).ConfigureAwait(false);
        var caps = new ExtractionCaps(CacheOptions.DefaultMaxBytes, CacheOptions.DefaultMaxEntries);
        var extractor = await ZipStreamExtractor.OpenAsync(source, info, caps, retry, ct).ConfigureAwait(false);
        var stream = new ParallelRangeStream(source, info with { Tail = extractor.KnownTail }, 4 * 1024 * 1024, 4, retry, ct);
        using var target = new ExtractionTarget(destination, caps);
        await using (stream.ConfigureAwait(false))
        {
            await extractor.ExtractAsync(stream, null, target, 2, ct).ConfigureAwait(false);
        }

        return stopwatch.Elapsed.TotalMilliseconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
