using System.Diagnostics;
using System.Globalization;
using ExtensionCache.Contract;
using ExtensionCache.Extension.Publishing;
using ExtensionCache.TestSupport;

namespace ExtensionCache.Benchmarks;

/// <summary>
/// <c>wrapper</c>: what layer/opt/extension-cache-wrapper adds to a runtime's start. A cache root with ready bundles
/// laid out like layers (status files written by the extension's Publisher); then, per command, rounds of N starts
/// run by a shell loop, alternating the command alone and the command through the wrapper under dash (Debian's
/// /bin/sh) and bash (Amazon Linux's), with the same environment. Prints the median per-start time of each and the
/// difference. A fast path: bundles already published (before-register mode), as on every start but overlap's first.
/// </summary>
public static class WrapperBenchmark
{
    public static async Task<int> RunAsync(int starts, int rounds, int bundles, CancellationToken ct)
    {
        var wrapper = Path.Join(RepositoryRoot.Path, "layer", "opt", "extension-cache-wrapper");
        using var work = new TempDirectory("wrapper-bench");
        var root = work.Combine("cache");
        var python = await AskAsync("python3", ["-c", "import sys; print(sys.executable)"], ct).ConfigureAwait(false);
        var pythonVersion = await AskAsync(python, ["-c", "import sys; print(f'{sys.version_info.major}.{sys.version_info.minor}')"], ct).ConfigureAwait(false);
        var names = Enumerable.Range(1, bundles).Select(i => $"deps{i}").ToList();
        foreach (var name in names)
        {
            Publish(root, name, [$"python/lib/python{pythonVersion}/site-packages/pkg", "python", "nodejs/node_modules/pkg", "bin", "lib"]);
        }

        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = "/usr/local/bin:/usr/bin:/bin",
            ["HOME"] = Environment.GetEnvironmentVariable("HOME") ?? "/root",
            ["EXTENSION_CACHE_ROOT"] = root,
            ["EXTENSION_CACHE_BUNDLES"] = string.Join(';', names.Select(n => $"{n}=s3://bucket/{n}.zip")),
            ["AWS_LAMBDA_LOG_LEVEL"] = "ERROR", // the log line costs one write; keep the loop's stderr quiet
        };

        var commands = new (string Label, string Command, string ExecutionEnvironment)[]
        {
            ("/bin/true", "/bin/true", "AWS_Lambda_provided.al2023"),
            ($"python{pythonVersion} -c pass", $"{python} -c pass", $"AWS_Lambda_python{pythonVersion}"),
            ("node -e 0 (the ES-module hook registered)", "node -e 0", "AWS_Lambda_nodejs" + (await AskAsync("node", ["-p", "process.versions.node.split('.')[0]"], ct).ConfigureAwait(false)) + ".x"),
        };

        var c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(c, $"{Environment.ProcessorCount} cores; {bundles} ready bundles (python/, site-packages, nodejs/node_modules, bin/, lib/ each); {rounds} rounds of {starts} starts per variant, interleaved; median ms per start"));
        Console.WriteLine("| command | alone | through the wrapper, dash | added | through the wrapper, bash | added |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var (label, command, executionEnvironment) in commands)
        {
            var variables = new Dictionary<string, string>(environment) { ["AWS_EXECUTION_ENV"] = executionEnvironment };
            var alone = new List<double>();
            var dash = new List<double>();
            var bash = new List<double>();
            for (var round = 0; round < rounds; round++)
            {
                alone.Add(await TimeLoopAsync(command, starts, variables, ct).ConfigureAwait(false));
                dash.Add(await TimeLoopAsync($"dash {wrapper} {command}", starts, variables, ct).ConfigureAwait(false));
                bash.Add(await TimeLoopAsync($"bash {wrapper} {command}", starts, variables, ct).ConfigureAwait(false));
            }

            double a = Median(alone), d = Median(dash), b = Median(bash);
            Console.WriteLine(string.Create(c, $"| {label} | {a:F2} | {d:F2} | {d - a:+0.00;-0.00} | {b:F2} | {b - a:+0.00;-0.00} |"));
        }

        return 0;
    }

    /// <summary>Milliseconds per start of <paramref name="command"/>, run <paramref name="starts"/> times by one sh loop.</summary>
    private static async Task<double> TimeLoopAsync(string command, int starts, Dictionary<string, string> variables, CancellationToken ct)
    {
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"i=0; while [ $i -lt {starts} ]; do {command} >/dev/null || exit 1; i=$((i+1)); done");
        info.Environment.Clear();
        foreach (var (key, value) in variables)
        {
            info.Environment[key] = value;
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync(ct);
        await process.StandardOutput.ReadToEndAsync(ct).ConfigureAwait(false);
        await process.WaitForExitAsync(ct).ConfigureAwait(false);
        var elapsed = clock.Elapsed.TotalMilliseconds;
        return process.ExitCode == 0 ? elapsed / starts : throw new InvalidOperationException($"'{command}' failed: {await error.ConfigureAwait(false)}");
    }

    private static void Publish(string root, string name, string[] folders)
    {
        var version = Path.Join(root, Publisher.StoreFolder, name + "-0");
        foreach (var folder in folders)
        {
            Directory.CreateDirectory(Path.Join(version, folder));
        }

        File.CreateSymbolicLink(Path.Join(root, name), Path.Join(Publisher.StoreFolder, name + "-0"));
        new Publisher(root).WriteStatus(new BundleStatus(name, BundleStatus.Ready, Path.Join(root, name), false, null, null, "v1", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow));
    }

    private static async Task<string> AskAsync(string command, string[] arguments, CancellationToken ct)
    {
        var result = await ChildProcess.RunAsync(ChildProcess.Info(command, arguments), TimeSpan.FromMinutes(1), cancellationToken: ct).ConfigureAwait(false);
        result.EnsureSucceeded();
        return result.Lines[^1].Trim();
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
