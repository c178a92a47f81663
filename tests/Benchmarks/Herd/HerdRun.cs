using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using ExtensionCache.Benchmarks.ExtensionsApi;
using ExtensionCache.TestSupport;

namespace ExtensionCache.Benchmarks.Herd;

/// <summary>
/// A thousand cold starts at once, scaled down: N real extension processes (the Native AOT binary), each with its
/// own root and its own minimal Extensions API, started within a short window against one object in s3rver behind
/// a <see cref="FaultProxy"/> whose token bucket answers 503 SlowDown (S3's XML body) past a request rate. Runs
/// each policy (binary) on the same bundle and proxy settings, one after the other, and prints a markdown report.
/// </summary>
public sealed class HerdRun(HerdOptions options)
{
    private const string Bucket = "herd";
    private const string Key = "bundles/herd.zip";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    public async Task<int> RunAsync(string newBinary, CancellationToken cancellationToken)
    {
        using var work = new TempDirectory("herd");
        var zip = work.Combine("herd.zip");
        var (files, bytes) = WriteBundle(zip, options.BundleMb);
        await using var s3 = await S3rver.StartAsync(Bucket).ConfigureAwait(false);
        await s3.UploadAsync(Key, zip).ConfigureAwait(false);

        var policies = new List<(string Name, string Binary)>();
        if (options.OldExtensionPath is { } old)
        {
            policies.Add(("today (count-bounded retries, 4 MiB parts)", Path.GetFullPath(old)));
        }

        policies.Add(("new (deadline-bounded, jitter + AIMD, automatic parts)", newBinary));
        var results = new List<HerdResult>();
        foreach (var (name, binary) in policies)
        {
            Console.WriteLine($"herd: {options.Processes} × {name} ...");
            results.Add(await RunPolicyAsync(name, binary, s3, work, files, bytes, cancellationToken).ConfigureAwait(false));
        }

        var report = Report(results, new FileInfo(zip).Length, files);
        Console.WriteLine(report);
        Directory.CreateDirectory(Path.GetDirectoryName(options.OutputPath)!);
        await File.WriteAllTextAsync(options.OutputPath, report, cancellationToken).ConfigureAwait(false);
        return results.All(r => r.Samples.Count > 0) ? 0 : 1;
    }

    private async Task<HerdResult> RunPolicyAsync(string name, string binary, S3rver s3, TempDirectory work, int files, long bytes, CancellationToken cancellationToken)
    {
        await using var proxy = await FaultProxy.StartAsync(s3.Endpoint).ConfigureAwait(false);
        proxy.Add(FaultRule.RateLimit(options.RatePerSecond, options.Burst).ForMethod("GET"));
        var roots = work.Combine("roots-" + Slug(name));
        var apis = new List<MinimalExtensionsApi>();
        var children = new List<ChildProcess>();
        var starts = new List<long>();
        var wall = Stopwatch.StartNew();
        try
        {
            for (var i = 0; i < options.Processes; i++)
            {
                var api = new MinimalExtensionsApi();
                apis.Add(api);
                var info = new ProcessStartInfo(binary);
                foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("AWS_", StringComparison.Ordinal) || k.StartsWith("EXTENSION_CACHE_", StringComparison.Ordinal)).ToList())
                {
                    info.Environment.Remove(key);
                }

                foreach (var (key, value) in s3.ExtensionEnvironment)
                {
                    info.Environment[key] = value;
                }

                info.Environment["AWS_ENDPOINT_URL_S3"] = proxy.Endpoint.ToString().TrimEnd('/');
                info.Environment["AWS_LAMBDA_RUNTIME_API"] = $"127.0.0.1:{api.Port}";
                info.Environment["AWS_LAMBDA_FUNCTION_NAME"] = "herd";
                info.Environment["AWS_LAMBDA_FUNCTION_VERSION"] = "$LATEST";
                info.Environment["AWS_LAMBDA_INITIALIZATION_TYPE"] = "on-demand";
                info.Environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = options.MemoryMb.ToString(CultureInfo.InvariantCulture);
                info.Environment["EXTENSION_CACHE_BUNDLES"] = $"deps=s3://{Bucket}/{Key}";
                info.Environment["EXTENSION_CACHE_ROOT"] = Path.Combine(roots, i.ToString(CultureInfo.InvariantCulture));
                info.Environment["EXTENSION_CACHE_LOG_LEVEL"] = "warn";
                starts.Add(Stopwatch.GetTimestamp());
                children.Add(ChildProcess.Start(info));
            }

            var samples = await Task.WhenAll(Enumerable.Range(0, options.Processes).Select(i => SampleAsync(apis[i], children[i], starts[i], cancellationToken))).ConfigureAwait(false);
            wall.Stop();
            var gets = proxy.Requests.Where(r => r.Method == "GET").ToList();
            var verified = samples.Select((s, i) => s.Error is null && !Published(Path.Combine(roots, i.ToString(CultureInfo.InvariantCulture)), files, bytes)
                ? s with { Error = "published tree does not match the bundle" }
                : s).ToList();
            return new HerdResult(name, verified, gets.Count, gets.Count(r => r.Fault is not null), wall.Elapsed.TotalMilliseconds);
        }
        finally
        {
            foreach (var api in apis)
            {
                api.SendShutdown();
            }

            foreach (var child in children)
            {
                await child.WaitForExitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
                await child.DisposeAsync().ConfigureAwait(false);
            }

            foreach (var api in apis)
            {
                await api.DisposeAsync().ConfigureAwait(false);
            }

            if (Directory.Exists(roots))
            {
                Directory.Delete(roots, recursive: true);
            }

        }

        static string Slug(string policy) => policy.StartsWith("today", StringComparison.Ordinal) ? "old" : "new";
    }

    private static async Task<HerdSample> SampleAsync(MinimalExtensionsApi api, ChildProcess child, long start, CancellationToken cancellationToken)
    {
        var exited = child.WaitForExitAsync(Bound, cancellationToken);
        var first = await Task.WhenAny(api.NextArrived, exited).ConfigureAwait(false);
        if (first != api.NextArrived || api.ReportedError is not null)
        {
            var output = child.Output;
            var line = output.Split('\n').FirstOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)) ?? output;
            return new HerdSample(0, api.ReportedError ?? (line.Length > 300 ? line[..300] : line));
        }

        var registered = await api.Registered.ConfigureAwait(false);
        return new HerdSample(Stopwatch.GetElapsedTime(start, registered).TotalMilliseconds, null);
    }

    private static bool Published(string root, int files, long bytes)
    {
        var dir = Path.Combine(root, "deps");
        if (!Directory.Exists(dir))
        {
            return false;
        }

        var found = new DirectoryInfo(dir).EnumerateFiles("*", SearchOption.AllDirectories).Where(f => !f.Name.StartsWith(".extension-cache", StringComparison.Ordinal)).ToList();
        return found.Count == files && found.Sum(f => f.Length) == bytes;
    }

    /// <summary>Deterministic, incompressible 2 MiB files (stored): the zip is about as large as asked.</summary>
    private static (int Files, long Bytes) WriteBundle(string path, int megabytes)
    {
        var random = new Random(20261129);
        var count = Math.Max(1, megabytes / 2);
        using var archive = ZipFile.Open(path, ZipArchiveMode.Create);
        long total = 0;
        for (var i = 0; i < count; i++)
        {
            var data = new byte[Math.Min(2, megabytes) * 1024 * 1024];
            random.NextBytes(data);
            var entry = archive.CreateEntry($"lib/part-{i:D3}.bin", CompressionLevel.NoCompression);
            using var stream = entry.Open();
            stream.Write(data);
            total += data.Length;
        }

        return (count, total);
    }

    private string Report(IReadOnlyList<HerdResult> results, long zipBytes, int files)
    {
        var text = new StringBuilder();
        text.AppendLine("# Herd: many cold starts at once against one object behind a request-rate limit").AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"{options.Processes} extension processes (Native AOT), started together (on-demand INIT: 10 s), {options.MemoryMb} MB each; one {zipBytes / 1048576.0:0.0} MiB zip ({files} files) in s3rver behind a proxy allowing {options.RatePerSecond} GET/s (token bucket, burst {options.Burst}), `503 SlowDown` past that. Machine: {Environment.ProcessorCount} cores.").AppendLine();
        text.AppendLine("| Policy | Ready | GETs served per process | GETs sent per process | GETs sent | 503 SlowDown | p50 ready ms | p95 | p99 | p99 ÷ p50 |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var result in results)
        {
            text.AppendLine(result.Row());
        }

        text.AppendLine();
        foreach (var result in results)
        {
            var failures = result.Samples.Where(s => s.Error is not null).GroupBy(s => Shorten(s.Error!)).OrderByDescending(g => g.Count()).Take(3).ToList();
            foreach (var failure in failures)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"- {result.Policy}: {failure.Count()} × `{failure.Key}`");
            }
        }

        return text.ToString();
    }

    private static string Shorten(string error)
    {
        var text = error.ReplaceLineEndings(" ");
        return text.Length > 240 ? text[..240] + "…" : text;
    }
}
