using System.Diagnostics;
using ExtensionCache.Benchmarks.Approaches;
using ExtensionCache.Benchmarks.Bundles;
using ExtensionCache.Benchmarks.Cli;
using ExtensionCache.Benchmarks.Measurement;
using ExtensionCache.TestSupport;
using ExtensionCache.Benchmarks.Results;
using ExtensionCache.Benchmarks.Servers;

namespace ExtensionCache.Benchmarks;

/// <summary>
/// One benchmark run: generate (or reuse) the bundles, start nginx and s3rver on loopback, run every approach
/// against every server in interleaved order, then print and write the report. Servers and the tmpfs are always
/// torn down, whatever fails. With a baseline binary, (c) runs with both binaries, alternating which goes first.
/// </summary>
public sealed class BenchmarkRun(BenchmarkOptions options)
{
    internal const int LambdaLikeRateMib = 75;
    private static readonly Approach[] Downloading = [Approach.NaiveUnzip, Approach.NaiveDotnetExtract, Approach.ExtensionCache, Approach.ExtensionCacheBaseline];

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var machine = MachineDescription.Read();
        Console.WriteLine($"machine: {machine.Cores} cores, {machine.Cpu}, {machine.Memory}, load {machine.LoadAverage}");
        var binary = options.PrepareOnly ? null : await ExtensionBinary.ResolveAsync(options, cancellationToken).ConfigureAwait(false);
        var baselineBinary = options.PrepareOnly || options.BaselineExtensionPath is not { } given ? null : ExtensionBinary.Given(given, "--baseline-extension");
        var commit = await GitCommitAsync(cancellationToken).ConfigureAwait(false);

        var bundleDirectory = Path.Combine(options.RepoRoot, "artifacts", "bench", "bundles");
        var generator = new BundleGenerator(bundleDirectory, options.Seed);
        var bundles = new List<GeneratedBundle>();
        foreach (var shape in new[] { BundleShape.NodeModules, BundleShape.BinaryHeavy })
        {
            bundles.Add(await generator.GetOrCreateAsync(shape, options.SizeMb, cancellationToken).ConfigureAwait(false));
        }

        var rssBundles = new List<GeneratedBundle>();
        if (options.RssSizeMb > 0 && (binary is not null || options.PrepareOnly))
        {
            foreach (var shape in new[] { BundleShape.NodeModules, BundleShape.BinaryHeavy })
            {
                rssBundles.Add(await generator.GetOrCreateAsync(shape, options.RssSizeMb, cancellationToken).ConfigureAwait(false));
            }
        }

        foreach (var bundle in bundles.Concat(rssBundles))
        {
            Console.WriteLine($"bundle {bundle.Key}: {bundle.Files} files, {Mib(bundle.UnpackedBytes)} MiB unpacked, {Mib(bundle.ArchiveBytes)} MiB zip");
        }

        if (options.PrepareOnly)
        {
            return 0;
        }

        var largest = bundles.Concat(rssBundles).Max(b => b.UnpackedBytes + b.ArchiveBytes);
        await using var scratch = await ScratchFilesystem.CreateAsync(Math.Max(2L << 30, largest * 3), cancellationToken).ConfigureAwait(false);
        await using var nginx = await NginxServer.StartAsync(bundleDirectory, LambdaLikeRateMib, cancellationToken).ConfigureAwait(false);
        await using var link = S3LikeLink.Start(nginx.UncappedPort, options.LinkRateMib * 1048576L, TimeSpan.FromMilliseconds(options.LinkLatencyMs));
        await using var s3 = await S3rverServer.StartAsync(options.RepoRoot, cancellationToken).ConfigureAwait(false);
        foreach (var bundle in bundles)
        {
            await s3.UploadAsync(bundle, cancellationToken).ConfigureAwait(false);
        }

        var uncapped = new BundleServer("nginx uncapped", "nginx, no limit", b => $"http://127.0.0.1:{nginx.UncappedPort}/{b.Key}", b => $"http://127.0.0.1:{nginx.UncappedPort}/{b.Key}", new Dictionary<string, string>(), nginx.Traffic);
        var s3rver = new BundleServer("s3rver", "s3rver 3.7.1", s3.PresignedUrl, b => $"s3://{S3rverServer.Bucket}/{b.Key}", s3.ExtensionEnvironment(), null);
        var servers = new[]
        {
            new BundleServer($"nginx {LambdaLikeRateMib} MiB/s/conn", "nginx limit_rate per connection", b => $"http://127.0.0.1:{nginx.CappedPort}/{b.Key}", b => $"http://127.0.0.1:{nginx.CappedPort}/{b.Key}", new Dictionary<string, string>(), nginx.Traffic),
            // The same nginx (uncapped port) behind the link, so its access log counts the GETs as for the other rows.
            new BundleServer($"nginx via S3-like link ({options.LinkRateMib} MiB/s/conn, {options.LinkLatencyMs} ms first byte)", "strict per-connection rate and first-byte latency", b => $"http://127.0.0.1:{link.Port}/{b.Key}", b => $"http://127.0.0.1:{link.Port}/{b.Key}", new Dictionary<string, string>(), nginx.Traffic),
            uncapped,
            s3rver,
        };

        var naive = new NaiveRunner(scratch);
        var extensions = new Dictionary<Approach, ExtensionRunner>();
        if (binary is not null)
        {
            extensions[Approach.ExtensionCache] = new ExtensionRunner(binary, scratch, options.MemoryMb);
        }

        if (baselineBinary is not null)
        {
            extensions[Approach.ExtensionCacheBaseline] = new ExtensionRunner(baselineBinary, scratch, options.MemoryMb);
        }

        var extension = extensions.GetValueOrDefault(Approach.ExtensionCache);
        if (baselineBinary is not null)
        {
            await WarmUpAsync(extensions, bundles[0], servers, cancellationToken).ConfigureAwait(false);
        }

        var rows = new List<ResultRow>();
        var footprints = new Dictionary<string, long?>();
        foreach (var bundle in bundles)
        {
            if (!options.OnlyExtension)
            {
                var local = new List<RunSample>();
                for (var run = 0; run < options.Runs; run++)
                {
                    local.Add(await Report(bundle, "local file", Approach.LocalDotnetExtract, run, naive.RunAsync(Approach.LocalDotnetExtract, bundle, null, cancellationToken)).ConfigureAwait(false));
                }

                var localRow = ResultRow.From(bundle, "local file", Approach.LocalDotnetExtract, local);
                footprints[bundle.Key] = localRow.FinalTmpBytes;
                rows.Add(localRow);
            }

            foreach (var server in servers)
            {
                var samples = Downloading.ToDictionary(a => a, _ => new List<RunSample>());
                for (var run = 0; run < options.Runs; run++)
                {
                    foreach (var approach in Order(run, extensions))
                    {
                        var before = server.Traffic?.Invoke();
                        var running = extensions.TryGetValue(approach, out var runner)
                            ? runner.RunColdAsync(bundle, server.ExtensionUri(bundle), server.ExtensionEnvironment, cancellationToken)
                            : naive.RunAsync(approach, bundle, server.DownloadUrl(bundle), cancellationToken);
                        var sample = await Report(bundle, server.Name, approach, run, running).ConfigureAwait(false);
                        if (before is { } b && server.Traffic?.Invoke() is { } after)
                        {
                            sample = sample with { Requests = after.Requests - b.Requests, ServedBytes = after.Bytes - b.Bytes };
                        }

                        samples[approach].Add(sample);
                    }
                }

                rows.AddRange(Downloading.Where(a => samples[a].Count > 0).Select(a => ResultRow.From(bundle, server.Name, a, samples[a])));
            }
        }

        var rssRows = new List<ResultRow>();
        var resetCases = new List<ResetCase>();
        if (extension is not null)
        {
            foreach (var bundle in rssBundles)
            {
                var sample = await Report(bundle, uncapped.Name, Approach.ExtensionCache, 0, extension.RunColdAsync(bundle, uncapped.ExtensionUri(bundle), uncapped.ExtensionEnvironment, cancellationToken)).ConfigureAwait(false);
                rssRows.Add(ResultRow.From(bundle, uncapped.Name, Approach.ExtensionCache, [sample]));
            }

            var resetBundle = bundles[0];
            if (!options.OnlyExtension)
            {
                // With a baseline binary each source runs with both, one after the other: the start-up cost before and after.
                var baseline = extensions.GetValueOrDefault(Approach.ExtensionCacheBaseline);
                var sources = new (string Name, string Uri, IReadOnlyDictionary<string, string> Environment)[]
                {
                    ($"{uncapped.Name} (http)", uncapped.ExtensionUri(resetBundle), uncapped.ExtensionEnvironment),
                    ("s3rver (s3)", s3rver.ExtensionUri(resetBundle), s3rver.ExtensionEnvironment),
                    ("local file (file://)", new Uri(resetBundle.ZipPath).AbsoluteUri, new Dictionary<string, string>()),
                };
                foreach (var (name, uri, environment) in sources)
                {
                    resetCases.Add(await ResetAsync(extension, resetBundle, name, uri, environment, cancellationToken).ConfigureAwait(false));
                    if (baseline is not null)
                    {
                        resetCases.Add(await ResetAsync(baseline, resetBundle, $"{name}, baseline binary", uri, environment, cancellationToken).ConfigureAwait(false) with { IsBaseline = true });
                    }
                }

                if (await NullExtension.BuildAsync(options.RepoRoot, cancellationToken).ConfigureAwait(false) is { } floor)
                {
                    var calibration = new ExtensionRunner(floor, scratch, options.MemoryMb, verifyPublished: false);
                    resetCases.Add(await ResetAsync(calibration, resetBundle, "floor: do-nothing C extension (register + next only)", new Uri(resetBundle.ZipPath).AbsoluteUri, new Dictionary<string, string>(), cancellationToken).ConfigureAwait(false) with { IsCalibration = true });
                }
            }

            scratch.Clear();
        }

        var results = new BenchmarkResults(
            options,
            machine,
            MachineDescription.LoadNow(),
            started,
            clock.Elapsed,
            binary,
            baselineBinary,
            commit,
            scratch.IsDedicated,
            bundles,
            footprints,
            rows,
            rssRows,
            resetCases);
        var markdown = ResultsReport.Markdown(results);
        Console.WriteLine();
        Console.WriteLine(markdown);
        Directory.CreateDirectory(Path.GetDirectoryName(options.OutputPath)!);
        await File.WriteAllTextAsync(options.OutputPath, markdown, cancellationToken).ConfigureAwait(false);
        Console.WriteLine($"written {options.OutputPath}");
        return rows.Concat(rssRows).Any(r => r.Failures > 0) || resetCases.Any(r => r.Failures > 0) ? 1 : 0;
    }

    /// <summary>
    /// The approaches of one run, in order: (a) and (b) unless only the extension runs, then (c) with each binary
    /// there is; the two binaries swap places every run so load drift and the after-effects of the previous run
    /// (page cache, freed tmpfs pages) fall on both alike.
    /// </summary>
    private IEnumerable<Approach> Order(int run, IReadOnlyDictionary<Approach, ExtensionRunner> extensions)
    {
        var binaries = run % 2 == 0
            ? new[] { Approach.ExtensionCache, Approach.ExtensionCacheBaseline }
            : [Approach.ExtensionCacheBaseline, Approach.ExtensionCache];
        var naive = options.OnlyExtension ? [] : new[] { Approach.NaiveUnzip, Approach.NaiveDotnetExtract };
        return naive.Concat(binaries.Where(extensions.ContainsKey));
    }

    /// <summary>
    /// One unmeasured cold run of each binary against each server: the first runs after the servers start pay for
    /// cold caches (the binaries, the zips, fresh server workers), and the binary that happens to go first in the
    /// first measured run would pay it alone.
    /// </summary>
    private static async Task WarmUpAsync(IReadOnlyDictionary<Approach, ExtensionRunner> extensions, GeneratedBundle bundle, IReadOnlyList<BundleServer> servers, CancellationToken cancellationToken)
    {
        foreach (var server in servers)
        {
            foreach (var (approach, runner) in extensions)
            {
                var sample = await runner.RunColdAsync(bundle, server.ExtensionUri(bundle), server.ExtensionEnvironment, cancellationToken).ConfigureAwait(false);
                Console.WriteLine($"{bundle.Label,-13} {server.Name,-22} {ApproachNames.Of(approach),-36} warm-up  {(sample.Error is null ? $"{sample.WallMs,8:0} ms (not counted)" : "FAILED: " + Short(sample.Error))}");
            }
        }
    }

    private async Task<ResetCase> ResetAsync(ExtensionRunner extension, GeneratedBundle bundle, string source, string uri, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var first = await extension.RunColdAsync(bundle, uri, environment, cancellationToken).ConfigureAwait(false);
        if (first.Error is not null)
        {
            Console.WriteLine($"reset case {source}: the cold run failed: {Short(first.Error)}");
            return new ResetCase(source, 0, 1, null, null, null, first.Error);
        }

        var samples = new List<RunSample>();
        for (var run = 0; run < options.ResetRuns; run++)
        {
            samples.Add(await extension.RunAsync(bundle, uri, environment, cancellationToken).ConfigureAwait(false));
        }

        var ok = samples.Where(s => s.Error is null).Select(s => s.WallMs).ToList();
        var result = new ResetCase(source, samples.Count, samples.Count - ok.Count, Median.Of(ok), ok.Count > 0 ? ok.Min() : null, ok.Count > 0 ? ok.Max() : null, samples.FirstOrDefault(s => s.Error is not null)?.Error);
        Console.WriteLine($"reset case {source}: median {result.MedianMs:0.0} ms over {ok.Count} runs (min {result.MinMs:0.0}, max {result.MaxMs:0.0}), {result.Failures} failed");
        return result;
    }

    private static async Task<RunSample> Report(GeneratedBundle bundle, string server, Approach approach, int run, Task<RunSample> running)
    {
        var sample = await running.ConfigureAwait(false);
        var figures = sample.Error is null
            ? $"{sample.WallMs,8:0} ms  tmp {Mib(sample.PeakTmpBytes),7} MiB  rss {Mib(sample.PeakRssBytes),6} MiB  idle {Mib(sample.IdleRssBytes),6} MiB{(sample.CpuMs is { } cpu ? $"  cpu {cpu:0} ms" : string.Empty)}"
            : "FAILED: " + Short(sample.Error);
        Console.WriteLine($"{bundle.Label,-13} {server,-22} {ApproachNames.Of(approach),-36} #{run + 1}  {figures}");
        return sample;
    }

    private async Task<string> GitCommitAsync(CancellationToken cancellationToken)
    {
        var info = ChildProcess.Info("git", "-C", options.RepoRoot, "rev-parse", "--short", "HEAD");
        await using var git = ChildProcess.Start(info);
        return await git.WaitForExitAsync(TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false) && git.ExitCode == 0
            ? git.Output.Trim()
            : "unknown";
    }

    private static string Mib(long? bytes) => bytes is { } b ? (b / 1048576.0).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) : "-";

    private static string Short(string text)
    {
        var line = text.Split('\n')[0];
        return line.Length > 300 ? line[..300] : line;
    }
}
