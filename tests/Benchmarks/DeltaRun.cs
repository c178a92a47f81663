using System.Diagnostics;
using System.IO.Compression;
using ExtensionCache.Benchmarks.Approaches;
using ExtensionCache.Benchmarks.Bundles;
using ExtensionCache.Benchmarks.Cli;
using ExtensionCache.Benchmarks.Measurement;
using ExtensionCache.Benchmarks.Servers;

namespace ExtensionCache.Benchmarks;

/// <summary>
/// The delta case (<c>--delta</c>): a node_modules bundle published cold from nginx, then the same URL serving a
/// copy with one file changed (same size, one byte different) and a later mtime, so its ETag changes; the second
/// run over the same root is a delta update. Prints, for each server port, the cold and the refresh time and the
/// bytes nginx sent for each (its access log), with the ratios the targets are stated in, and the
/// <see cref="HardLinkFloor"/> of the published tree: what linking every file costs on this file system.
/// </summary>
public sealed class DeltaRun(BenchmarkOptions options)
{
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var binary = await ExtensionBinary.ResolveAsync(options, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("no extension-cache binary to measure");
        var bundleDirectory = Path.Combine(options.RepoRoot, "artifacts", "bench", "bundles");
        var bundle = await new BundleGenerator(bundleDirectory, options.Seed).GetOrCreateAsync(BundleShape.NodeModules, options.SizeMb, cancellationToken).ConfigureAwait(false);
        var served = Path.Combine(bundleDirectory, "delta");
        Directory.CreateDirectory(served);
        var v1 = Path.Combine(served, "v1.zip");
        var v2 = Path.Combine(served, "v2.zip");
        File.Copy(bundle.ZipPath, v1, overwrite: true);
        var changed = await Task.Run(() => WriteWithOneChange(bundle.ZipPath, v2), cancellationToken).ConfigureAwait(false);
        var refreshedBytes = new FileInfo(v2).Length;
        var (centralDirectory, changedEntry) = Needed(v2, changed);
        Console.WriteLine($"delta case: {bundle.Files} files, {bundle.ArchiveBytes} archive bytes, {refreshedBytes} after the change ({bundle.UnpackedBytes} unpacked); changed entry {changed}; central directory {centralDirectory} bytes, changed entry {changedEntry} bytes");

        await using var scratch = await ScratchFilesystem.CreateAsync(Math.Max(2L << 30, (bundle.UnpackedBytes + bundle.ArchiveBytes) * 3), cancellationToken).ConfigureAwait(false);
        await using var nginx = await NginxServer.StartAsync(served, BenchmarkRun.LambdaLikeRateMib, cancellationToken).ConfigureAwait(false);
        var extension = new ExtensionRunner(binary, scratch, options.MemoryMb);
        var failed = false;
        foreach (var (name, port) in new[] { ($"nginx {BenchmarkRun.LambdaLikeRateMib} MiB/s/conn", nginx.CappedPort), ("nginx uncapped", nginx.UncappedPort) })
        {
            for (var run = 0; run < options.Runs; run++)
            {
                var current = Path.Combine(served, "current.zip");
                Publish(v1, current, DateTime.UtcNow.AddHours(-2));
                var uri = $"http://127.0.0.1:{port}/current.zip";
                var env = new Dictionary<string, string>();
                var before = nginx.Traffic();
                var cold = await extension.RunColdAsync(bundle, uri, env, cancellationToken).ConfigureAwait(false);
                var afterCold = nginx.Traffic();
                Publish(v2, current, DateTime.UtcNow.AddHours(-1));
                var refresh = await extension.RunAsync(bundle, uri, env, cancellationToken).ConfigureAwait(false);
                var afterRefresh = nginx.Traffic();
                if (cold.Error is not null || refresh.Error is not null)
                {
                    Console.WriteLine($"{name} #{run + 1}: FAILED {cold.Error ?? refresh.Error}");
                    failed = true;
                    continue;
                }

                var copy = Path.Combine(scratch.Path, "link-floor");
                var floor = HardLinkFloor.Measure(Path.Combine(extension.Root, ExtensionRunner.BundleName), copy);
                Directory.Delete(copy, recursive: true);
                var coldBytes = afterCold.Bytes - before.Bytes;
                var refreshBytes = afterRefresh.Bytes - afterCold.Bytes;
                Console.WriteLine(
                    $"{name} #{run + 1}: cold {cold.WallMs:0} ms, {coldBytes} bytes in {afterCold.Requests - before.Requests} requests; " +
                    $"delta refresh {refresh.WallMs:0} ms, {refreshBytes} bytes in {afterRefresh.Requests - afterCold.Requests} requests; " +
                    $"bytes {(double)refreshBytes / (centralDirectory + changedEntry):0.0000} x central directory + changed entry (target <= 1.10), {100.0 * refreshBytes / refreshedBytes:0.00} % of the archive; " +
                    $"hard-link floor {floor.TotalMilliseconds:0} ms, refresh {refresh.WallMs / floor.TotalMilliseconds:0.00} x the floor (target <= 1.5), {100.0 * refresh.WallMs / cold.WallMs:0.0} % of cold");
            }
        }

        scratch.Clear();
        return failed ? 1 : 0;
    }

    /// <summary>
    /// What a delta must fetch at least: the central directory (its size from the end record; the generated zip has
    /// no comment and no ZIP64 record) and the changed entry's local header and data.
    /// </summary>
    private static (long CentralDirectory, long ChangedEntry) Needed(string zip, string changed)
    {
        var end = new byte[22];
        using (var stream = File.OpenRead(zip))
        {
            stream.Seek(-end.Length, SeekOrigin.End);
            stream.ReadExactly(end);
        }

        var centralDirectory = BitConverter.ToUInt32(end, 12);
        using var archive = ZipFile.OpenRead(zip);
        var entry = archive.GetEntry(changed) ?? throw new InvalidOperationException($"{changed} is not in {zip}");
        return (centralDirectory, 30 + System.Text.Encoding.UTF8.GetByteCount(changed) + entry.CompressedLength);
    }

    /// <summary>Atomically replaces what nginx serves, with a distinct mtime so the ETag changes.</summary>
    private static void Publish(string from, string to, DateTime mtime)
    {
        var temp = to + ".tmp";
        File.Copy(from, temp, overwrite: true);
        File.SetLastWriteTimeUtc(temp, mtime);
        File.Move(temp, to, overwrite: true);
    }

    /// <summary>Copies the zip entry by entry, flipping one byte of the middle file; returns that file's name.</summary>
    private static string WriteWithOneChange(string source, string destination)
    {
        using var input = ZipFile.OpenRead(source);
        var files = input.Entries.Where(e => e.Length > 0 && !e.FullName.EndsWith('/')).ToList();
        var target = files[files.Count / 2];
        using var output = new ZipArchive(File.Create(destination), ZipArchiveMode.Create);
        foreach (var entry in input.Entries)
        {
            var copy = output.CreateEntry(entry.FullName, CompressionLevel.Optimal);
            copy.ExternalAttributes = entry.ExternalAttributes;
            copy.LastWriteTime = entry.LastWriteTime;
            using var read = entry.Open();
            using var write = copy.Open();
            if (entry == target)
            {
                var buffer = new MemoryStream();
                read.CopyTo(buffer);
                var bytes = buffer.ToArray();
                bytes[0] ^= 1;
                write.Write(bytes);
            }
            else
            {
                read.CopyTo(write);
            }
        }

        Debug.Assert(target.FullName.Length > 0);
        return target.FullName;
    }
}
