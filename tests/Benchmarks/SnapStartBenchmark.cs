using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using ExtensionCache.Benchmarks.Bundles;
using ExtensionCache.Benchmarks.Cli;
using ExtensionCache.TestSupport;

namespace ExtensionCache.Benchmarks;

/// <summary>
/// <c>snapstart</c>: a SnapStart restore against an on-demand cold start that fetches the same bundle, in the
/// LambdaEmulator with the extension's Native AOT binary as a layer, a node_modules-like bundle in s3rver and a bash
/// runtime that answers once the bundle is published. Per run, interleaved, each in a new execution environment (a new
/// /tmp): on demand, the cold start is INIT (the extension fetches, unpacks and publishes the bundle: the first REPORT's
/// Init Duration) plus the first invoke's answer (POST to response, at the client); with <c>--snapstart</c>, INIT
/// happens when the environment starts (the version's publication) and the cold start is the first invoke, whose answer
/// includes the restore (POST to response; the REPORT's Restore Duration beside it). Medians are printed.
/// </summary>
public static partial class SnapStartBenchmark
{
    private const string Runtime = """
        #!/bin/bash
        API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
        STATUS="${TMPDIR:-/tmp}/extension-cache/.status/deps.json"
        while true; do
          HEADERS=$(mktemp)
          curl -sS -o /dev/null -D "$HEADERS" "$API/invocation/next"
          ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
          rm -f "$HEADERS"
          if grep -q '"ready"' "$STATUS"; then BODY='{"bundle":"ready"}'; else BODY='{"bundle":"missing"}'; fi
          curl -sS -o /dev/null -X POST "$API/invocation/$ID/response" -d "$BODY"
        done
        """;

    public static async Task<int> RunAsync(int sizeMb, int runs, int seed, string? extension, CancellationToken ct)
    {
        var c = CultureInfo.InvariantCulture;
        var repoRoot = RepositoryRoot.Path;
        var binary = extension is not null
            ? ExtensionBinary.Given(extension, "--extension")
            : await ExtensionBinary.ResolveAsync(new BenchmarkOptions(false, sizeMb, runs, 0, 0, 1769, seed, null, "", repoRoot, false), ct).ConfigureAwait(false);
        if (binary is null)
        {
            return 1;
        }

        var bundle = await new BundleGenerator(Path.Join(repoRoot, "artifacts", "bench", "bundles"), seed).GetOrCreateAsync(BundleShape.NodeModules, sizeMb, ct).ConfigureAwait(false);
        using var work = new TempDirectory("snapstart-bench");
        var layer = Path.Join(work.Path, "layer");
        Directory.CreateDirectory(Path.Join(layer, "extensions"));
        File.Copy(binary, Path.Join(layer, "extensions", "extension-cache"));
        var function = Path.Join(work.Path, "function");
        Directory.CreateDirectory(function);
        var bootstrap = Path.Join(function, "bootstrap");
        await File.WriteAllTextAsync(bootstrap, Runtime.ReplaceLineEndings("\n"), ct).ConfigureAwait(false);
        (await ChildProcess.RunAsync(ChildProcess.Info("chmod", "755", bootstrap), TimeSpan.FromSeconds(30), cancellationToken: ct).ConfigureAwait(false)).EnsureSucceeded();

        await using var s3 = await S3rver.StartAsync("bench").ConfigureAwait(false);
        var uri = await s3.UploadAsync("deps.zip", bundle.ZipPath).ConfigureAwait(false);
        var environment = new Dictionary<string, string>(s3.ExtensionEnvironment) { ["EXTENSION_CACHE_BUNDLES"] = $"deps={uri}" };

        Console.WriteLine(string.Create(c, $"{Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at the start; bundle {bundle.Label}, {bundle.ArchiveBytes / 1048576.0:0.0} MiB zip, {bundle.Files} files, {bundle.UnpackedBytes / 1048576.0:0.0} MiB unpacked, in s3rver; {runs} runs of each, interleaved, each in a new execution environment"));
        var onDemand = new List<(double Init, double FirstAnswer)>();
        var snapStart = new List<(double Restore, double FirstAnswer)>();
        for (var run = 0; run < runs; run++)
        {
            var tmp = Directory.CreateDirectory(Path.Join(work.Path, $"tmp-{run}-od")).FullName;
            var (lines, answerMs) = await ColdStartAsync(layer, function, tmp, environment, [], ct).ConfigureAwait(false);
            onDemand.Add((Field(lines, "INIT Duration", InitDuration()), answerMs));

            tmp = Directory.CreateDirectory(Path.Join(work.Path, $"tmp-{run}-ss")).FullName;
            (lines, answerMs) = await ColdStartAsync(layer, function, tmp, environment, ["--snapstart"], ct).ConfigureAwait(false);
            snapStart.Add((Field(lines, "Restore Duration", RestoreDuration()), answerMs));
            Console.WriteLine(string.Create(c, $"run {run + 1}: on demand INIT {onDemand[^1].Init:0} ms + first answer {onDemand[^1].FirstAnswer:0} ms; SnapStart first answer {snapStart[^1].FirstAnswer:0} ms (Restore Duration {snapStart[^1].Restore:0} ms)"));
        }

        var onDemandCold = Median(onDemand.Select(r => r.Init + r.FirstAnswer));
        var snapStartCold = Median(snapStart.Select(r => r.FirstAnswer));
        Console.WriteLine();
        Console.WriteLine("| cold start | INIT (fetch, unpack, publish) | restore | first invoke: POST to answer | total |");
        Console.WriteLine("|---|---|---|---|---|");
        Console.WriteLine(string.Create(c, $"| on demand | {Median(onDemand.Select(r => r.Init)):0} ms | - | {Median(onDemand.Select(r => r.FirstAnswer)):0} ms | {onDemandCold:0} ms |"));
        Console.WriteLine(string.Create(c, $"| SnapStart restore | (at publication) | {Median(snapStart.Select(r => r.Restore)):0} ms | {snapStartCold:0} ms (restore included) | {snapStartCold:0} ms |"));
        Console.WriteLine(string.Create(c, $"SnapStart ÷ on demand: {snapStartCold / onDemandCold:0.00} (medians of {runs})"));
        return 0;
    }

    /// <summary>One execution environment in serve mode: waits until it serves, sends one invoke, returns the lines and the answer's time.</summary>
    private static async Task<(IReadOnlyList<string> Lines, double AnswerMs)> ColdStartAsync(
        string layer, string function, string tmp, IReadOnlyDictionary<string, string> environment, string[] options, CancellationToken ct)
    {
        var emulator = Path.Join(AppContext.BaseDirectory, "LambdaEmulator.dll");
        var info = ChildProcess.Info("dotnet", [emulator, "--layer", layer, "--function", function, "--tmp", tmp, "--timeout", "60", "--port", "0", .. options,
            .. environment.SelectMany(e => new[] { "--env", $"{e.Key}={e.Value}" })]);
        var lines = new List<string>();
        var serving = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reported = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (lines)
            {
                lines.Add(line);
            }

            if (ServingLine().Match(line) is { Success: true } serve)
            {
                serving.TrySetResult(int.Parse(serve.Groups[1].Value, CultureInfo.InvariantCulture));
            }
            else if (line.StartsWith("REPORT ", StringComparison.Ordinal))
            {
                reported.TrySetResult();
            }
        }

        await using var process = ChildProcess.Start(info, OnLine, OnLine);
        var port = await serving.Task.WaitAsync(TimeSpan.FromMinutes(5), ct).ConfigureAwait(false);
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
        var stopwatch = Stopwatch.StartNew();
        using var response = await http.PostAsync(new Uri($"http://127.0.0.1:{port}/2015-03-31/functions/function/invocations"), new StringContent("{}"), ct).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        stopwatch.Stop();
        if (!body.Contains("\"ready\"", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"the first invoke did not find the bundle ready: {body}\n{string.Join('\n', lines)}");
        }

        await reported.Task.WaitAsync(TimeSpan.FromMinutes(1), ct).ConfigureAwait(false);

        // SIGTERM: the emulator sends SHUTDOWN and stops the sandbox; the dispose kills whatever is left.
        using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await term.WaitForExitAsync(ct).ConfigureAwait(false);
        }

        await process.WaitForExitAsync(TimeSpan.FromSeconds(15), ct).ConfigureAwait(false);
        lock (lines)
        {
            return ([.. lines], stopwatch.Elapsed.TotalMilliseconds);
        }
    }

    private static double Field(IReadOnlyList<string> lines, string name, Regex pattern) =>
        lines.Select(l => pattern.Match(l)).FirstOrDefault(m => m.Success) is { } match
            ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"no {name} in the emulator's output:\n{string.Join('\n', lines)}");

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    [GeneratedRegex(@"serving invokes on http://127\.0\.0\.1:(\d+)/")]
    private static partial Regex ServingLine();

    [GeneratedRegex(@"^REPORT .* Init Duration: (\d+\.\d+) ms")]
    private static partial Regex InitDuration();

    [GeneratedRegex(@"^REPORT .* Restore Duration: (\d+\.\d+) ms")]
    private static partial Regex RestoreDuration();
}
