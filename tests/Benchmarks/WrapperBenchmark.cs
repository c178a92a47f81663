using System.Diagnostics;
using System.Globalization;
using ExtensionCache.Contract;
using ExtensionCache.Extension.Publishing;
using ExtensionCache.TestSupport;

namespace ExtensionCache.Benchmarks;

/// <summary>
/// <c>wrapper</c>: what layer/opt/extension-cache-wrapper adds to a runtime's start. A cache root with ready bundles
/// laid out like layers (status files written by the extension's Publisher); then, per command, rounds of N starts
/// run by a shell loop, interleaving the command alone, through a wrapper that only does <c>exec "$@"</c> (the floor
/// of any wrapper script: one more shell exec), and through this wrapper under dash (Debian's /bin/sh) and bash
/// (Amazon Linux's), with the same environment. Per start: the median wall time of the rounds and the CPU time
/// (user + system of the loop's children, from the shell's <c>times</c>), which a busy machine disturbs far less.
/// The fast path: bundles already published (before-register mode), as on every start but overlap's first.
/// </summary>
public static class WrapperBenchmark
{
    public static async Task<int> RunAsync(int starts, int rounds, int bundles, CancellationToken ct)
    {
        var wrapper = Path.Join(RepositoryRoot.Path, "layer", "opt", "extension-cache-wrapper");
        using var work = new TempDirectory("wrapper-bench");
        var trivial = work.Combine("exec-only-wrapper");
        await File.WriteAllTextAsync(trivial, "#!/bin/sh\nexec \"$@\"\n", ct).ConfigureAwait(false);
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

        var nodeRuntime = "AWS_Lambda_nodejs" + await AskAsync("node", ["-p", "process.versions.node.split('.')[0]"], ct).ConfigureAwait(false) + ".x";
        var commands = new (string Label, string Command, string ExecutionEnvironment)[]
        {
            ("/bin/true", "/bin/true", "AWS_Lambda_provided.al2023"),
            ($"python{pythonVersion} -c pass", $"{python} -c pass", $"AWS_Lambda_python{pythonVersion}"),
            ("node -e 0, ES-module hook registered", "node -e 0", nodeRuntime),
            ("node -e 0, no hook (runtime not Node)", "node -e 0", $"AWS_Lambda_python{pythonVersion}"),
        };

        var c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(c, $"{Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at the start; {bundles} ready bundles (site-packages, python/, nodejs/node_modules, bin/, lib/ each); {rounds} rounds of {starts} starts per variant, interleaved"));
        Console.WriteLine("ms per start: median wall time of the rounds / CPU time (user + system); in brackets, what the variant adds to the command alone");
        Console.WriteLine("| command | alone | exec-only wrapper, dash | extension-cache-wrapper, dash | exec-only wrapper, bash | extension-cache-wrapper, bash |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var (label, command, executionEnvironment) in commands)
        {
            var variables = new Dictionary<string, string>(environment) { ["AWS_EXECUTION_ENV"] = executionEnvironment };
            string[] variants = [command, $"dash {trivial} {command}", $"dash {wrapper} {command}", $"bash {trivial} {command}", $"bash {wrapper} {command}"];
            var wall = variants.Select(_ => new List<double>()).ToArray();
            var cpu = variants.Select(_ => new List<double>()).ToArray();
            for (var round = 0; round < rounds; round++)
            {
                for (var v = 0; v < variants.Length; v++)
                {
                    var (w, p) = await TimeLoopAsync(variants[v], starts, variables, ct).ConfigureAwait(false);
                    wall[v].Add(w);
                    cpu[v].Add(p);
                }
            }

            double baseWall = Median(wall[0]), baseCpu = Median(cpu[0]);
            var cells = Enumerable.Range(0, variants.Length).Select(v => v == 0
                ? string.Create(c, $"{baseWall:F2} / {baseCpu:F2}")
                : string.Create(c, $"{Median(wall[v]):F2} / {Median(cpu[v]):F2} (+{Median(wall[v]) - baseWall:F2} / +{Median(cpu[v]) - baseCpu:F2})"));
            Console.WriteLine($"| {label} | {string.Join(" | ", cells)} |");
        }

        return 0;
    }

    /// <summary>
    /// Wall and CPU milliseconds per start of <paramref name="command"/>, run <paramref name="starts"/> times by one sh
    /// loop; the CPU time is what the shell's <c>times</c> reports for its children.
    /// </summary>
    private static async Task<(double Wall, double Cpu)> TimeLoopAsync(string command, int starts, Dictionary<string, string> variables, CancellationToken ct)
    {
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"i=0; while [ $i -lt {starts} ]; do {command} >/dev/null || exit 1; i=$((i+1)); done; times");
        info.Environment.Clear();
        foreach (var (key, value) in variables)
        {
            info.Environment[key] = value;
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync(ct);
        var times = await process.StandardOutput.ReadToEndAsync(ct).ConfigureAwait(false);
        await process.WaitForExitAsync(ct).ConfigureAwait(false);
        var elapsed = clock.Elapsed.TotalMilliseconds;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{command}' failed: {await error.ConfigureAwait(false)}");
        }

        // times: the shell's own user and system time, then its children's ("0m0.512000s 0m0.344000s").
        var children = times.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (elapsed / starts, (Seconds(children[0]) + Seconds(children[1])) * 1000 / starts);
    }

    private static double Seconds(string time)
    {
        var minutes = time.IndexOf('m', StringComparison.Ordinal);
        return (int.Parse(time[..minutes], CultureInfo.InvariantCulture) * 60) + double.Parse(time[(minutes + 1)..].TrimEnd('s'), CultureInfo.InvariantCulture);
    }

    /// <summary>Publishes <paramref name="folders"/> as bundle <paramref name="name"/> the way the extension does (its own Publisher).</summary>
    private static void Publish(string root, string name, string[] folders)
    {
        var publisher = new Publisher(root);
        var attempt = publisher.CreateAttempt(name);
        foreach (var folder in folders)
        {
            Directory.CreateDirectory(Path.Join(attempt, folder));
        }

        var now = DateTimeOffset.UtcNow;
        publisher.Publish(name, attempt, new BundleManifest(name, "file:///bench", "v1", new string('0', 64), "zip", 0, folders.Length, 0, 0, 0, 0, now));
        publisher.WriteStatus(new BundleStatus(name, BundleStatus.Ready, publisher.PublishedPath(name), false, null, null, "v1", now, now));
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
