using System.CommandLine;
using ExtensionCache.Benchmarks;
using ExtensionCache.Benchmarks.Herd;
using ExtensionCache.TestSupport;

namespace ExtensionCache.Benchmarks.Cli;

/// <summary>The command line: option names are documented in tests/Benchmarks/README.md.</summary>
public sealed class BenchmarkCommand
{
    private readonly Option<bool> _quick = new("--quick")
    {
        Description = "Smoke check: ~30 MB bundles, no separate 500 MB RSS run, results go to artifacts/bench/results-quick.md.",
    };

    private readonly Option<int?> _sizeMb = new("--size-mb")
    {
        Description = "Unpacked size of each generated bundle in MiB (default 300, or 30 with --quick).",
    };

    private readonly Option<int> _runs = new("--runs")
    {
        Description = "Runs per approach and server; the median is reported.",
        DefaultValueFactory = _ => 3,
    };

    private readonly Option<int?> _rssSizeMb = new("--rss-size-mb")
    {
        Description = "Unpacked size in MiB of the extra bundles used only to check the extension's peak RSS (default 500; 0 skips; skipped with --quick).",
    };

    private readonly Option<int> _resetRuns = new("--reset-runs")
    {
        Description = "Runs of the reset case (bundle already published, nothing to download).",
        DefaultValueFactory = _ => 20,
    };

    private readonly Option<int> _memoryMb = new("--memory-mb")
    {
        Description = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE given to the extension (3538 MB = 2 vCPU in Lambda, like this 2-core machine).",
        DefaultValueFactory = _ => 3538,
    };

    private readonly Option<int> _seed = new("--seed")
    {
        Description = "Seed of the generated bundles (same seed, same bytes).",
        DefaultValueFactory = _ => 20261127,
    };

    private readonly Option<string?> _extension = new("--extension")
    {
        Description = "Use this extension-cache binary instead of publishing extension/ into artifacts/bench/extension.",
    };

    private readonly Option<string?> _baselineExtension = new("--baseline-extension")
    {
        Description = "Also run (c) with this extension-cache binary (e.g. published from an earlier commit), interleaved with the current one, and compare their cold medians (current ÷ baseline ≤ 1.05).",
    };

    private readonly Option<bool> _onlyExtension = new("--only-extension")
    {
        Description = "Run only (c) (and the baseline binary, if given): no (a), (b), (d) or reset case; results go to artifacts/bench/results-extension.md.",
    };

    private readonly Option<int> _linkRateMib = new("--link-rate-mib")
    {
        Description = "Rate of each connection through the S3-like link (strict, no initial burst), MiB/s.",
        DefaultValueFactory = _ => 75,
    };

    private readonly Option<int> _linkLatencyMs = new("--link-latency-ms")
    {
        Description = "First-byte latency the S3-like link adds to every request, ms.",
        DefaultValueFactory = _ => 30,
    };

    private readonly Option<bool> _prepare = new("--prepare")
    {
        Description = "Only generate (cache) the bundles for these options, then exit: lets a later run start measuring at once.",
    };

    private readonly Option<bool> _delta = new("--delta")
    {
        Description = "Only the delta case: a node_modules bundle of --size-mb published cold, then refreshed after one file changed; prints bytes sent by nginx and times.",
    };

    private readonly Option<string?> _output = new("--output")
    {
        Description = "Markdown results file (default tests/Benchmarks/results.md; artifacts/bench/results-quick.md with --quick, artifacts/bench/results-extension.md with --only-extension).",
    };

    public Task<int> InvokeAsync(string[] args)
    {
        var root = new RootCommand("ExtensionCache benchmark: naive download+unzip vs ExtensionCache, against nginx (75 MiB/s cap, an S3-like link, uncapped) and s3rver on loopback.")
        {
            _quick, _sizeMb, _runs, _rssSizeMb, _resetRuns, _memoryMb, _seed, _extension, _baselineExtension, _onlyExtension, _linkRateMib, _linkLatencyMs, _prepare, _delta, _output,
        };
        root.Subcommands.Add(HerdCommand());
        var packSize = new Option<int>("--size-mb") { Description = "Unpacked size of the node_modules-like tree in MiB.", DefaultValueFactory = _ => 100 };
        var packRuns = new Option<int>("--runs") { Description = "Runs; the median is reported.", DefaultValueFactory = _ => 3 };
        var pack = new Command("pack", "extension-cache-bundle pack vs zip -r -q on the same tree, and the extension unpacking each.") { packSize, packRuns, _seed };
        pack.SetAction((parse, cancellationToken) => PackBenchmark.RunAsync(parse.GetValue(packSize), Math.Clamp(parse.GetValue(packRuns), 1, 50), parse.GetValue(_seed), cancellationToken));
        root.Subcommands.Add(pack);
        var wrapperStarts = new Option<int>("--starts") { Description = "Starts per round and variant.", DefaultValueFactory = _ => 40 };
        var wrapperRounds = new Option<int>("--rounds") { Description = "Rounds (variants interleaved); the median is reported.", DefaultValueFactory = _ => 5 };
        var wrapperBundles = new Option<int>("--bundles") { Description = "Ready bundles in the cache root, each with every layer folder.", DefaultValueFactory = _ => 2 };
        var wrapper = new Command("wrapper", "What extension-cache-wrapper adds to a runtime's start: the command alone vs through the wrapper (dash, bash).") { wrapperStarts, wrapperRounds, wrapperBundles };
        wrapper.SetAction((parse, cancellationToken) => WrapperBenchmark.RunAsync(
            Math.Clamp(parse.GetValue(wrapperStarts), 1, 10_000), Math.Clamp(parse.GetValue(wrapperRounds), 1, 101), Math.Clamp(parse.GetValue(wrapperBundles), 1, 50), cancellationToken));
        root.Subcommands.Add(wrapper);
        var snapStartSize = new Option<int>("--size-mb") { Description = "Unpacked size of the node_modules-like bundle in MiB.", DefaultValueFactory = _ => 100 };
        var snapStartRuns = new Option<int>("--runs") { Description = "Cold starts of each kind (interleaved); medians are reported.", DefaultValueFactory = _ => 5 };
        var snapStart = new Command("snapstart", "A SnapStart restore's first answer against an on-demand cold start that fetches the same bundle, in the emulator.") { snapStartSize, snapStartRuns, _seed, _extension };
        snapStart.SetAction((parse, cancellationToken) => SnapStartBenchmark.RunAsync(
            Math.Clamp(parse.GetValue(snapStartSize), 1, 400), Math.Clamp(parse.GetValue(snapStartRuns), 1, 50), parse.GetValue(_seed), parse.GetValue(_extension), cancellationToken));
        root.Subcommands.Add(snapStart);
        root.Subcommands.Add(MethodsCommand());
        root.SetAction((parse, cancellationToken) =>
        {
            var quick = parse.GetValue(_quick);
            var repoRoot = RepositoryRoot.Path;
            var output = parse.GetValue(_output)
                ?? (quick
                    ? Path.Combine(repoRoot, "artifacts", "bench", "results-quick.md")
                    : parse.GetValue(_onlyExtension)
                        ? Path.Combine(repoRoot, "artifacts", "bench", "results-extension.md")
                        : Path.Combine(repoRoot, "tests", "Benchmarks", "results.md"));
            var options = new BenchmarkOptions(
                Quick: quick,
                SizeMb: parse.GetValue(_sizeMb) ?? (quick ? 30 : 300),
                Runs: Math.Clamp(parse.GetValue(_runs), 1, 50),
                RssSizeMb: quick ? 0 : parse.GetValue(_rssSizeMb) ?? 500,
                ResetRuns: Math.Clamp(parse.GetValue(_resetRuns), 1, 200),
                MemoryMb: parse.GetValue(_memoryMb),
                Seed: parse.GetValue(_seed),
                ExtensionPath: parse.GetValue(_extension),
                OutputPath: Path.GetFullPath(output),
                RepoRoot: repoRoot,
                PrepareOnly: parse.GetValue(_prepare),
                Delta: parse.GetValue(_delta),
                BaselineExtensionPath: parse.GetValue(_baselineExtension),
                OnlyExtension: parse.GetValue(_onlyExtension),
                LinkRateMib: Math.Clamp(parse.GetValue(_linkRateMib), 1, 100_000),
                LinkLatencyMs: Math.Clamp(parse.GetValue(_linkLatencyMs), 0, 10_000));
            return options.Delta ? new DeltaRun(options).RunAsync(cancellationToken) : new BenchmarkRun(options).RunAsync(cancellationToken);
        });
        return root.Parse(args).InvokeAsync();
    }

    /// <summary><c>methods</c>: pack --method against each other at 2 and 1 vCPU, and the part-size rule on a mid-size bundle (see tests/Benchmarks/README.md).</summary>
    private Command MethodsCommand()
    {
        var sizeMb = new Option<int>("--size-mb") { Description = "Unpacked size of each of the two bundles in MiB.", DefaultValueFactory = _ => 300 };
        var midSizeMb = new Option<int>("--mid-size-mb") { Description = "Unpacked size of the mid-size node_modules bundle for the part-size comparison, MiB (150: about 56 MiB of zip).", DefaultValueFactory = _ => 150 };
        var runs = new Option<int>("--runs") { Description = "Interleaved runs per case; medians are reported.", DefaultValueFactory = _ => 5 };
        var output = new Option<string?>("--output") { Description = "Markdown report (default artifacts/bench/results-methods.md)." };
        var partsOnly = new Option<bool>("--parts-only") { Description = "Only the part-size comparison on the mid-size bundle." };
        var command = new Command("methods", "pack --method zstd, auto, store against deflate at 2 and 1 vCPU behind the S3-like link, binary-heavy uncapped against a local ZipFile extract, and automatic against 4 MiB parts on a mid-size bundle.")
        {
            sizeMb, midSizeMb, runs, output, partsOnly, _memoryMb, _seed, _extension, _linkRateMib, _linkLatencyMs,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var repoRoot = RepositoryRoot.Path;
            var options = new BenchmarkOptions(
                Quick: false,
                SizeMb: parse.GetValue(sizeMb),
                Runs: Math.Clamp(parse.GetValue(runs), 1, 50),
                RssSizeMb: 0,
                ResetRuns: 0,
                MemoryMb: parse.GetValue(_memoryMb),
                Seed: parse.GetValue(_seed),
                ExtensionPath: parse.GetValue(_extension),
                OutputPath: Path.GetFullPath(parse.GetValue(output) ?? Path.Combine(repoRoot, "artifacts", "bench", "results-methods.md")),
                RepoRoot: repoRoot,
                PrepareOnly: false,
                LinkRateMib: Math.Clamp(parse.GetValue(_linkRateMib), 1, 100_000),
                LinkLatencyMs: Math.Clamp(parse.GetValue(_linkLatencyMs), 0, 10_000));
            return new MethodsRun(options, Math.Max(1, parse.GetValue(midSizeMb)), parse.GetValue(partsOnly)).RunAsync(cancellationToken);
        });
        return command;
    }

    /// <summary><c>herd</c>: many cold starts at once against a request-rate limit (see tests/Benchmarks/README.md).</summary>
    private Command HerdCommand()
    {
        var processes = new Option<int>("--processes") { Description = "Extension processes started together.", DefaultValueFactory = _ => 60 };
        var bundleMb = new Option<int>("--bundle-mb") { Description = "Size of the (stored, incompressible) zip in MiB.", DefaultValueFactory = _ => 16 };
        var rate = new Option<double>("--rate") { Description = "GET requests per second the proxy allows (token bucket) before 503 SlowDown.", DefaultValueFactory = _ => 30 };
        var burst = new Option<int>("--burst") { Description = "Token bucket size.", DefaultValueFactory = _ => 10 };
        var memoryMb = new Option<int>("--memory-mb") { Description = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE of each process.", DefaultValueFactory = _ => 1769 };
        var old = new Option<string?>("--old-extension") { Description = "A binary with another policy (e.g. published from an earlier commit) to run on the same herd first." };
        var output = new Option<string?>("--output") { Description = "Markdown report (default artifacts/bench/herd.md)." };
        var command = new Command("herd", "Many cold starts at once against one S3 object behind a request-rate limit (503 SlowDown past it).")
        {
            processes, bundleMb, rate, burst, memoryMb, old, output, _extension,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var repoRoot = RepositoryRoot.Path;
            var options = new HerdOptions(
                Math.Clamp(parse.GetValue(processes), 1, 2000),
                Math.Clamp(parse.GetValue(bundleMb), 1, 4096),
                parse.GetValue(rate),
                Math.Max(1, parse.GetValue(burst)),
                parse.GetValue(memoryMb),
                parse.GetValue(_extension),
                parse.GetValue(old),
                Path.GetFullPath(parse.GetValue(output) ?? Path.Combine(repoRoot, "artifacts", "bench", "herd.md")),
                repoRoot);
            var binary = await ExtensionBinary.ResolveAsync(
                new BenchmarkOptions(false, 0, 1, 0, 1, options.MemoryMb, 0, options.NewExtensionPath, options.OutputPath, repoRoot, false),
                cancellationToken).ConfigureAwait(false);
            return binary is null ? 1 : await new HerdRun(options).RunAsync(binary, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }
}
