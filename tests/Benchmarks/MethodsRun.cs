using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using ExtensionCache.Benchmarks.Approaches;
using ExtensionCache.Benchmarks.Bundles;
using ExtensionCache.Benchmarks.Cli;
using ExtensionCache.Benchmarks.Measurement;
using ExtensionCache.Benchmarks.Results;
using ExtensionCache.Benchmarks.Servers;
using ExtensionCache.Cli.Packing;
using ExtensionCache.Extension.Configuration;

namespace ExtensionCache.Benchmarks;

/// <summary>
/// <c>methods</c>: what a zip's compression method costs at INIT, and the part-size rule on a mid-size bundle.
/// <list type="number">
/// <item>Both bundles' trees packed by <c>pack</c> with every <c>--method</c> (same packer, only the method differs);
/// the extension publishes each behind the S3-like link, at 2 vCPU (<c>--memory-mb</c>, default 3538) and at 1 vCPU
/// (1,769 MB, the process pinned to one core with taskset), the methods interleaved with their order rotated each run.
/// Ratios are zstd (and auto, store) ÷ deflate in the same run.</item>
/// <item>binary-heavy from nginx uncapped at 2 vCPU, zstd and deflate, against <c>ZipFile.ExtractToDirectory</c> of the
/// deflate zip already on local disk, interleaved.</item>
/// <item>A mid-size node_modules bundle (<c>--mid-size-mb</c>, default 150: about 56 MiB of zip) from every link model
/// (nginx limit_rate 75 MiB/s per connection, uncapped, the S3-like link), automatic parts against
/// <c>EXTENSION_CACHE_PART_SIZE_MB=4</c>, interleaved.</item>
/// </list>
/// Prints a markdown report (and writes it to <c>--output</c>) with medians, same-run ratios, peak RSS and /tmp, and
/// the load average before and after, since other work on the machine makes single figures noisy.
/// With <c>partsOnly</c> only the last step runs.
/// </summary>
public sealed class MethodsRun(BenchmarkOptions options, int midSizeMb, bool partsOnly = false)
{
    private const int OneVcpuMemoryMb = 1769;
    private static readonly ZipMethod[] Methods = [ZipMethod.Deflate, ZipMethod.Zstd, ZipMethod.Auto, ZipMethod.Store];

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var machine = MachineDescription.Read();
        Console.WriteLine($"machine: {machine.Cores} cores, {machine.Cpu}, {machine.Memory}, load {machine.LoadAverage}");
        var binary = await ExtensionBinary.ResolveAsync(options, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("no extension-cache binary to measure");
        var bundleDirectory = Path.Combine(options.RepoRoot, "artifacts", "bench", "bundles");
        var generator = new BundleGenerator(bundleDirectory, options.Seed);
        var report = new StringBuilder();
        var c = CultureInfo.InvariantCulture;

        // 1. The bundles, packed with each method from the same tree.
        var packed = new Dictionary<(BundleShape, ZipMethod), GeneratedBundle>();
        var packLines = new List<string>();
        foreach (var shape in partsOnly ? Array.Empty<BundleShape>() : [BundleShape.NodeModules, BundleShape.BinaryHeavy])
        {
            var source = await generator.GetOrCreateAsync(shape, options.SizeMb, cancellationToken).ConfigureAwait(false);
            var tree = await TreeOfAsync(source, cancellationToken).ConfigureAwait(false);
            foreach (var method in Methods)
            {
                var key = $"{Path.GetFileNameWithoutExtension(source.Key)}-pack-{method.ToString().ToLowerInvariant()}.zip";
                var path = Path.Combine(bundleDirectory, key);
                var started = Stopwatch.StartNew();
                await Packer.PackAsync(tree, path, BundleFormat.Zip, null, cancellationToken, method).ConfigureAwait(false);
                var bundle = source with { ZipPath = path, Key = key, ArchiveBytes = new FileInfo(path).Length };
                packed[(shape, method)] = bundle;
                packLines.Add(string.Create(c, $"| {source.Label} | {Name(method)} | {Mib(bundle.ArchiveBytes)} MiB | {started.Elapsed.TotalSeconds:0.0} s |"));
                Console.WriteLine(packLines[^1]);
            }
        }

        var mid = await generator.GetOrCreateAsync(BundleShape.NodeModules, midSizeMb, cancellationToken).ConfigureAwait(false);
        var largest = packed.Values.Select(b => b.UnpackedBytes).DefaultIfEmpty(mid.UnpackedBytes).Max();
        await using var scratch = await ScratchFilesystem.CreateAsync(Math.Max(2L << 30, largest * 3), cancellationToken).ConfigureAwait(false);
        await using var nginx = await NginxServer.StartAsync(bundleDirectory, BenchmarkRun.LambdaLikeRateMib, cancellationToken).ConfigureAwait(false);
        await using var link = S3LikeLink.Start(nginx.UncappedPort, options.LinkRateMib * 1048576L, TimeSpan.FromMilliseconds(options.LinkLatencyMs));
        string S3Like(GeneratedBundle b) => $"http://127.0.0.1:{link.Port}/{b.Key}";
        string Uncapped(GeneratedBundle b) => $"http://127.0.0.1:{nginx.UncappedPort}/{b.Key}";
        string Capped(GeneratedBundle b) => $"http://127.0.0.1:{nginx.CappedPort}/{b.Key}";
        var none = new Dictionary<string, string>();
        var loadBefore = MachineDescription.LoadNow();
        var failed = false;

        report.AppendLine("# Compression methods and mid-size part sizes (tests/Benchmarks `methods`)");
        report.AppendLine();
        report.AppendLine(string.Create(c, $"Machine: {machine.Cores} cores, {machine.Cpu}, {machine.Memory}, {machine.Kernel}, {machine.Runtime}; load average at start {machine.LoadAverage}."));
        report.AppendLine(string.Create(c, $"Command: `dotnet run -c Release --project tests/Benchmarks -- methods --runs {options.Runs} --size-mb {options.SizeMb} --mid-size-mb {midSizeMb} --memory-mb {options.MemoryMb}{(partsOnly ? " --parts-only" : "")}`; median of {options.Runs} interleaved runs; dedicated tmpfs: {(scratch.IsDedicated ? "yes" : "no")}."));
        report.AppendLine();
        var targets = new List<string>();
        var two = new ExtensionRunner(binary, scratch, options.MemoryMb);
        if (!partsOnly)
        {
            failed |= await MethodsAsync(packed, packLines, binary, scratch, S3Like, Uncapped, report, targets, cancellationToken).ConfigureAwait(false);
        }

        // 4. The part-size rule on the mid-size bundle, every link model.
        report.AppendLine();
        report.AppendLine(string.Create(c, $"## Part size on a mid-size bundle: node_modules {midSizeMb} MiB ({mid.Files:N0} files, {Mib(mid.ArchiveBytes)} MiB zip), 2 vCPU"));
        report.AppendLine();
        report.AppendLine("| Link | Automatic parts | 4 MiB parts | Automatic ÷ 4 MiB | GETs, automatic / 4 MiB |");
        report.AppendLine("|---|---:|---:|---:|---:|");
        var fixedParts = new Dictionary<string, string> { ["EXTENSION_CACHE_PART_SIZE_MB"] = "4" };
        foreach (var (linkName, uri) in new (string, Func<GeneratedBundle, string>)[]
        {
            ($"nginx limit_rate {BenchmarkRun.LambdaLikeRateMib} MiB/s/conn", Capped),
            ("nginx uncapped", Uncapped),
            ($"S3-like link ({options.LinkRateMib} MiB/s/conn, {options.LinkLatencyMs} ms)", S3Like),
        })
        {
            var requests = new Dictionary<string, List<int>> { ["automatic"] = [], ["4 MiB"] = [] };
            async Task<RunSample> Counted(string name, IReadOnlyDictionary<string, string> environment)
            {
                var before = nginx.Traffic();
                var sample = await two.RunColdAsync(mid, uri(mid), environment, cancellationToken).ConfigureAwait(false);
                requests[name].Add(nginx.Traffic().Requests - before.Requests);
                return sample;
            }

            var parts = await InterleaveAsync(
                [("automatic", () => Counted("automatic", none)), ("4 MiB", () => Counted("4 MiB", fixedParts))],
                $"mid-size {linkName}",
                cancellationToken).ConfigureAwait(false);
            failed |= parts.Values.Any(s => s.Any(x => x.Error is not null));
            var automatic = MedianMs(parts["automatic"]);
            var four = MedianMs(parts["4 MiB"]);
            report.AppendLine(string.Create(c, $"| {linkName} | {Ms(automatic)} | {Ms(four)} | {automatic / four:0.00} | {Median.Of(requests["automatic"].Select(r => (double)r)):0} / {Median.Of(requests["4 MiB"].Select(r => (double)r)):0} |"));
            targets.Add(string.Create(c, $"| mid-size bundle, {linkName}: automatic ÷ 4 MiB parts ≤ 1.05 | {automatic / four:0.00} | {(automatic / four <= 1.05 ? "met" : "missed")} |"));
        }

        report.AppendLine();
        report.AppendLine("## Targets");
        report.AppendLine();
        report.AppendLine("| Target | Result | |");
        report.AppendLine("|---|---:|---|");
        targets.ForEach(t => report.AppendLine(t));
        report.AppendLine();
        report.AppendLine(string.Create(c, $"Load average: {loadBefore} before the measured runs, {MachineDescription.LoadNow()} after; {clock.Elapsed.TotalMinutes:0} minutes in all."));
        var markdown = report.ToString();
        Console.WriteLine();
        Console.WriteLine(markdown);
        Directory.CreateDirectory(Path.GetDirectoryName(options.OutputPath)!);
        await File.WriteAllTextAsync(options.OutputPath, markdown, cancellationToken).ConfigureAwait(false);
        Console.WriteLine($"written {options.OutputPath}");
        return failed ? 1 : 0;
    }

    /// <summary>Steps 2 and 3: each method behind the S3-like link at 2 and 1 vCPU, and binary-heavy uncapped against a local extraction; true when a run failed.</summary>
    private async Task<bool> MethodsAsync(
        Dictionary<(BundleShape, ZipMethod), GeneratedBundle> packed,
        List<string> packLines,
        string binary,
        ScratchFilesystem scratch,
        Func<GeneratedBundle, string> s3Like,
        Func<GeneratedBundle, string> uncappedUri,
        StringBuilder report,
        List<string> targets,
        CancellationToken cancellationToken)
    {
        var c = CultureInfo.InvariantCulture;
        var none = new Dictionary<string, string>();
        var failed = false;
        report.AppendLine("## Packed bundles (`pack --method`, in-process, same tree)");
        report.AppendLine();
        report.AppendLine("| Bundle | Method | Zip | Pack time |");
        report.AppendLine("|---|---|---:|---:|");
        packLines.ForEach(l => report.AppendLine(l));

        // 2. Cold publish behind the S3-like link, per method, at 2 vCPU and at 1 vCPU.
        report.AppendLine();
        report.AppendLine(string.Create(c, $"## Cold publish behind the S3-like link ({options.LinkRateMib} MiB/s per connection, {options.LinkLatencyMs} ms first byte), start → register"));
        report.AppendLine();
        report.AppendLine("| Bundle | vCPU | Method | Median | ÷ deflate | Peak RSS | Peak ÷ published /tmp | CPU |");
        report.AppendLine("|---|---|---|---:|---:|---:|---:|---:|");
        foreach (var (vcpu, memory, cpus) in new[] { (2, options.MemoryMb, (string?)null), (1, OneVcpuMemoryMb, "0") })
        {
            var runner = new ExtensionRunner(binary, scratch, memory, cpuList: cpus);
            foreach (var shape in new[] { BundleShape.NodeModules, BundleShape.BinaryHeavy })
            {
                var samples = await InterleaveAsync(
                    Methods.Select(m => (Name(m), (Func<Task<RunSample>>)(() => runner.RunColdAsync(packed[(shape, m)], s3Like(packed[(shape, m)]), none, cancellationToken)))).ToList(),
                    $"{Label(shape)} {vcpu} vCPU S3-like",
                    cancellationToken).ConfigureAwait(false);
                failed |= samples.Values.Any(s => s.Any(x => x.Error is not null));
                var deflate = MedianMs(samples[Name(ZipMethod.Deflate)]);
                foreach (var method in Methods)
                {
                    var runs = samples[Name(method)];
                    var median = MedianMs(runs);
                    report.AppendLine(string.Create(c, $"| {Label(shape)} | {vcpu} | {Name(method)} | {Ms(median)} | {Ratio(median, deflate)} | {Mib(Median.Of(runs.Select(r => r.PeakRssBytes)))} MiB | {Ratio(Median.Of(runs.Select(r => r.PeakTmpBytes)), Median.Of(runs.Select(r => r.FinalTmpBytes)))} | {Ms(Median.Of(runs.Where(r => r.CpuMs is not null).Select(r => r.CpuMs!.Value)))} |"));
                }

                var limit = shape == BundleShape.BinaryHeavy ? 0.5 : 0.8;
                var ratio = MedianMs(samples[Name(ZipMethod.Zstd)]) / deflate;
                targets.Add(string.Create(c, $"| {Label(shape)}, {vcpu} vCPU, S3-like link: zstd ÷ deflate ≤ {limit} | {ratio:0.00} | {(ratio <= limit ? "met" : "missed")} |"));
            }
        }

        // 3. binary-heavy uncapped at 2 vCPU against a local ZipFile extraction of the deflate zip.
        var two = new ExtensionRunner(binary, scratch, options.MemoryMb);
        var naive = new NaiveRunner(scratch);
        var heavyDeflate = packed[(BundleShape.BinaryHeavy, ZipMethod.Deflate)];
        var heavyZstd = packed[(BundleShape.BinaryHeavy, ZipMethod.Zstd)];
        var uncapped = await InterleaveAsync(
            [
                ("zstd", () => two.RunColdAsync(heavyZstd, uncappedUri(heavyZstd), none, cancellationToken)),
                ("deflate", () => two.RunColdAsync(heavyDeflate, uncappedUri(heavyDeflate), none, cancellationToken)),
                ("local ZipFile (deflate)", () => naive.RunAsync(Approach.LocalDotnetExtract, heavyDeflate, null, cancellationToken)),
            ],
            "binary-heavy 2 vCPU uncapped",
            cancellationToken).ConfigureAwait(false);
        failed |= uncapped.Values.Any(s => s.Any(x => x.Error is not null));
        var local = MedianMs(uncapped["local ZipFile (deflate)"]);
        report.AppendLine();
        report.AppendLine("## binary-heavy from nginx uncapped, 2 vCPU, against a local `ZipFile.ExtractToDirectory` of the deflate zip");
        report.AppendLine();
        report.AppendLine("| Approach | Median | ÷ local ZipFile |");
        report.AppendLine("|---|---:|---:|");
        foreach (var (name, runs) in uncapped)
        {
            report.AppendLine(string.Create(c, $"| {name} | {Ms(MedianMs(runs))} | {Ratio(MedianMs(runs), local)} |"));
        }

        var uncappedRatio = MedianMs(uncapped["zstd"]) / local;
        targets.Add(string.Create(c, $"| binary-heavy uncapped, 2 vCPU: zstd ≤ 1.0 × local ZipFile of the deflate zip | {uncappedRatio:0.00} | {(uncappedRatio <= 1.0 ? "met" : "missed")} |"));

        return failed;
    }

    /// <summary>Each case once per run, the order rotated every run so load drift falls on all alike; one unmeasured warm-up of each first.</summary>
    private async Task<Dictionary<string, List<RunSample>>> InterleaveAsync(IReadOnlyList<(string Name, Func<Task<RunSample>> Run)> cases, string label, CancellationToken cancellationToken)
    {
        foreach (var (_, run) in cases)
        {
            await run().ConfigureAwait(false);
        }

        var samples = cases.ToDictionary(x => x.Name, _ => new List<RunSample>());
        for (var i = 0; i < options.Runs; i++)
        {
            for (var j = 0; j < cases.Count; j++)
            {
                var (name, run) = cases[(i + j) % cases.Count];
                var sample = await run().ConfigureAwait(false);
                samples[name].Add(sample);
                cancellationToken.ThrowIfCancellationRequested();
                Console.WriteLine(sample.Error is null
                    ? string.Create(CultureInfo.InvariantCulture, $"{label,-36} {name,-24} #{i + 1} {sample.WallMs,8:0} ms  rss {Mib(sample.PeakRssBytes),6} MiB  tmp {Mib(sample.PeakTmpBytes),7} MiB  load {MachineDescription.LoadNow()}")
                    : $"{label,-36} {name,-24} #{i + 1} FAILED: {sample.Error.Split('\n')[0]}");
            }
        }

        return samples;
    }

    /// <summary>The bundle's tree on disk (extracted once from the generated zip, cached beside it).</summary>
    private async Task<string> TreeOfAsync(GeneratedBundle bundle, CancellationToken cancellationToken)
    {
        var tree = Path.Combine(options.RepoRoot, "artifacts", "bench", "trees", Path.GetFileNameWithoutExtension(bundle.Key));
        if (!Directory.Exists(tree))
        {
            Console.WriteLine($"extracting {bundle.Key} into {tree} ...");
            await Task.Run(() => ZipFile.ExtractToDirectory(bundle.ZipPath, tree + ".partial", overwriteFiles: true), cancellationToken).ConfigureAwait(false);
            Directory.Move(tree + ".partial", tree);
        }

        return tree;
    }

    private static double MedianMs(IEnumerable<RunSample> runs) => Median.Of(runs.Where(r => r.Error is null).Select(r => r.WallMs)) ?? double.NaN;

    private static string Name(ZipMethod method) => method.ToString().ToLowerInvariant();

    private static string Label(BundleShape shape) => shape == BundleShape.NodeModules ? "node_modules" : "binary-heavy";

    private static string Ms(double? ms) => ms is { } v && !double.IsNaN(v) ? string.Create(CultureInfo.InvariantCulture, $"{v:N0} ms") : "-";

    private static string Ratio(double? value, double? baseline) =>
        value is { } v && baseline is { } b && b > 0 && !double.IsNaN(v) ? string.Create(CultureInfo.InvariantCulture, $"{v / b:0.00}") : "-";

    private static string Mib(long? bytes) => bytes is { } b ? (b / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) : "-";
}
