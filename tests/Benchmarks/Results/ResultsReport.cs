using System.Globalization;
using System.Text;
using ExtensionCache.Benchmarks.Approaches;

namespace ExtensionCache.Benchmarks.Results;

/// <summary>The markdown report (printed and written to results.md): tables, target checks, machine, method.</summary>
public static class ResultsReport
{
    private const double Mib = 1024 * 1024;

    public static string Markdown(BenchmarkResults results)
    {
        var o = results.Options;
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# ExtensionCache benchmark results{(o.Quick ? " (quick smoke run)" : string.Empty)}");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Command: `dotnet run -c Release --project tests/Benchmarks --{(o.Quick ? " --quick" : string.Empty)} --size-mb {o.SizeMb} --runs {o.Runs}{(o.Quick ? string.Empty : $" --rss-size-mb {o.RssSizeMb}")}{(o.OnlyExtension ? " --only-extension" : string.Empty)}{(o.BaselineExtensionPath is { } baseline ? $" --baseline-extension {baseline}" : string.Empty)} --link-rate-mib {o.LinkRateMib} --link-latency-ms {o.LinkLatencyMs}`  ");
        text.AppendLine(CultureInfo.InvariantCulture, $"The run took {results.Duration.TotalMinutes:0.0} min, repository commit `{results.ExtensionCommit}` (working tree as built), seed {o.Seed}.");
        text.AppendLine();
        text.AppendLine("## Machine");
        text.AppendLine();
        var m = results.Machine;
        text.AppendLine(CultureInfo.InvariantCulture, $"- {m.Cores} cores (`nproc`), {m.Cpu}, {m.Memory} RAM, Linux {m.Kernel}, {m.Runtime}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- Load average (1/5/15 min) at start: {m.LoadAverage}; at end: {results.LoadAtEnd}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- Extension: `AWS_LAMBDA_FUNCTION_MEMORY_SIZE={o.MemoryMb}`, binary `{results.ExtensionBinary ?? "not available"}`");
        if (results.BaselineBinary is { } baselineBinary)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- Baseline extension: binary `{baselineBinary}`, same settings");
        }

        text.AppendLine();
        text.AppendLine("## Bundles");
        text.AppendLine();
        text.AppendLine("| Bundle | Files | Unpacked MiB | Zip MiB | Zip/unpacked | Unpacked footprint on tmpfs MiB |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var b in results.Bundles)
        {
            var footprint = results.FootprintBytes.GetValueOrDefault(b.Key);
            text.AppendLine(CultureInfo.InvariantCulture, $"| {b.Label} | {b.Files:N0} | {b.UnpackedBytes / Mib:0.0} | {b.ArchiveBytes / Mib:0.0} | {(double)b.ArchiveBytes / b.UnpackedBytes:0.00} | {F(footprint / Mib)} |");
        }

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"## Results (median of {o.Runs} run{(o.Runs == 1 ? string.Empty : "s")})");
        text.AppendLine();
        text.AppendLine("| Bundle | Server | Approach | Wall ms | Unpacked MiB/s | Peak /tmp MiB | Peak /tmp ÷ unpacked | Ext. peak RSS MiB | Ext. idle RSS MiB | Ext. CPU ms (cores busy) | GETs | Served ÷ zip | Time ÷ (a) | Failed runs |");
        text.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in results.Rows)
        {
            var naive = results.Rows.FirstOrDefault(r => r.Bundle == row.Bundle && r.Server == row.Server && r.Approach == Approach.NaiveUnzip);
            var footprint = results.FootprintBytes.GetValueOrDefault(row.Bundle.Key);
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {row.Bundle.Label} | {row.Server} | {ApproachNames.Of(row.Approach)} | {F(row.MedianMs, "0")} | {F(row.Throughput)} | {F(row.PeakTmpBytes / Mib)} | {F(Ratio(row.PeakTmpBytes, footprint), "0.00")} | {F(row.PeakRssBytes / Mib)} | {F(row.IdleRssBytes / Mib)} | {Cpu(row)} | {(row.Requests is { } gets ? gets.ToString(CultureInfo.InvariantCulture) : "-")} | {F(Ratio(row.ServedBytes, row.Bundle.ArchiveBytes), "0.00")} | {F(Ratio(row.MedianMs, naive?.MedianMs), "0.00")} | {row.Failures}/{row.Runs} |");
        }

        var comparisons = BaselineComparison.From(results.Rows);
        if (comparisons.Count > 0)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"Against the baseline binary (cold, same bundles, servers and tmpfs, runs interleaved; limit {BaselineComparison.Limit.ToString("0.00", CultureInfo.InvariantCulture)}):");
            text.AppendLine();
            text.AppendLine("| Bundle | Server | Current median ms | Baseline median ms | Current ÷ baseline | Failed runs (current, baseline) |");
            text.AppendLine("|---|---|---:|---:|---:|---:|");
            foreach (var c in comparisons)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"| {c.Bundle.Label} | {c.Server} | {F(c.Current?.MedianMs, "0")} | {F(c.Baseline.MedianMs, "0")} | {F(c.Ratio, "0.000")} | {(c.Current is { } current ? $"{current.Failures}/{current.Runs}" : "-")}, {c.Baseline.Failures}/{c.Baseline.Runs} |");
            }
        }

        if (results.RssRows.Count > 0)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"Peak RSS check with {o.RssSizeMb} MiB bundles (one run each, nginx uncapped):");
            text.AppendLine();
            text.AppendLine("| Bundle | Files | Unpacked MiB | Wall ms | Unpacked MiB/s | Ext. peak RSS MiB | Ext. idle RSS MiB | Ext. CPU ms (cores busy) | Failed |");
            text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var row in results.RssRows)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"| {row.Bundle.Label} | {row.Bundle.Files:N0} | {row.Bundle.UnpackedBytes / Mib:0.0} | {F(row.MedianMs, "0")} | {F(row.Throughput)} | {F(row.PeakRssBytes / Mib)} | {F(row.IdleRssBytes / Mib)} | {Cpu(row)} | {row.Failures}/{row.Runs} |");
            }
        }

        if (results.ResetCases.Count > 0)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"Reset case: process start → register with the bundle already published ({o.ResetRuns} runs each, node_modules bundle):");
            text.AppendLine();
            text.AppendLine("| Source | Median ms | Min ms | Max ms | Failed runs |");
            text.AppendLine("|---|---:|---:|---:|---:|");
            foreach (var reset in results.ResetCases)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"| {reset.Source} | {F(reset.MedianMs, "0.0")} | {F(reset.MinMs, "0.0")} | {F(reset.MaxMs, "0.0")} | {reset.Failures}/{reset.Runs} |");
            }
        }

        var checks = TargetChecks.From(results);
        text.AppendLine();
        text.AppendLine("## Targets");
        text.AppendLine();
        text.AppendLine("| Target | Case | Measured | Limit | Verdict | Gap |");
        text.AppendLine("|---|---|---:|---:|---|---|");
        foreach (var check in checks)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {check.Target} | {check.Case} | {check.MeasuredText} | {check.Limit.ToString("0.##", CultureInfo.InvariantCulture)} {check.Unit} | **{check.Verdict}** | {check.Gap} |");
        }

        var failures = results.Rows.Concat(results.RssRows).Where(r => r.FirstError is not null).ToList();
        if (failures.Count > 0 || results.ResetCases.Any(r => r.FirstError is not null))
        {
            text.AppendLine();
            text.AppendLine("## Failures (first error of each row)");
            text.AppendLine();
            foreach (var row in failures)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"- {row.Bundle.Label} / {row.Server} / {ApproachNames.Of(row.Approach)}: `{Clip(row.FirstError!)}`");
            }

            foreach (var reset in results.ResetCases.Where(r => r.FirstError is not null))
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"- reset / {reset.Source}: `{Clip(reset.FirstError!)}`");
            }
        }

        text.AppendLine();
        text.AppendLine("## Method");
        text.AppendLine();
        text.AppendLine(MethodNotes(results));
        return text.ToString();
    }

    private static string MethodNotes(BenchmarkResults results) => $"""
        - Bundles are generated deterministically (seed {results.Options.Seed}, fixed timestamps) and zipped with System.IO.Compression at `CompressionLevel.Optimal`; cached in `artifacts/bench/bundles`. node_modules: packages with `package.json`, README, LICENSE and 3–30 `.js` files of log-uniform size 300 B–60 KB (JavaScript-like text). binary-heavy: a 45 % `chrome` executable, five more large files and ten fonts, in 64 KiB chunks that are random (incompressible), text-like or sparse, plus small locale files.
        - Servers run on 127.0.0.1 only, started and killed by the harness: nginx 1.22 (Debian nginx-light, `sendfile on`) on two ports, one with `limit_rate 75m` (75 MiB/s per connection, modelling Lambda's per-connection S3 bandwidth; N parallel connections get N × 75 MiB/s) and one uncapped; the uncapped port again behind the S3-like link (`Servers/S3LikeLink.cs`, a loopback TCP proxy: each connection's answers at a strict {results.Options.LinkRateMib} MiB/s with no initial burst, unlike `limit_rate`, which gives every request a second's worth of credit, and every request held {results.Options.LinkLatencyMs} ms before it reaches nginx, like S3's first-byte latency; GETs and bytes still come from nginx's access log); s3rver 3.7.1 (Node) for `s3://` (the naive download uses a presigned GET so it is the same single HTTP stream).
        - "/tmp" is a dedicated tmpfs mounted for the run{(results.TmpMeasured ? string.Empty : " (NOT mounted in this run: /tmp figures missing)")}; peak use is sampled with statfs every ~2 ms (used blocks, as Lambda's /tmp quota counts them) minus the use before the run. "Peak /tmp ÷ unpacked" divides by the footprint of the unpacked tree on the same tmpfs (from (d)), so block rounding of small files is not counted against an approach. Writing to tmpfs is memory speed: Lambda's /tmp is slower, which favours every approach equally here.
        - (a) `curl -sS --fail -o /tmp/…/bundle.zip URL` then `unzip -q`; (b) the same download then `ZipFile.ExtractToDirectory` in the harness process (JIT, warm after the first run); (d) `ZipFile.ExtractToDirectory` of the zip already on local disk (in the page cache) into the tmpfs. Wall time is from starting curl to the end of extraction.
        - (c) the Native AOT `extension-cache` binary, default `before-register` mode, against a minimal Extensions API hosted by the harness (Kestrel on loopback). Wall time is from `Process.Start` to the `register` request (the bundle is downloaded, verified and published atomically before register), so it includes process creation from .NET; the "floor" row of the reset table is the same measurement of a do-nothing C extension (`Calibration/null-extension.c`: register, then next) and shows what process creation plus the harness's HTTP round trip cost by themselves. Peak RSS is VmHWM from `/proc/<pid>/status` (polled every 5 ms and read again while the extension is parked in its first `next`); idle RSS is VmRSS one second into that `next` (the extension frees its buffers shortly after publishing; a 100 ms reading could still catch them). CPU is user + system time from `/proc/<pid>/stat` at that point (cores busy = CPU ÷ wall; this machine has {results.Machine.Cores}); "GETs" and "served ÷ zip" come from nginx's access log (`$body_bytes_sent` per request) during the run, so the number of ranged requests and any re-fetched or over-fetched bytes (> 1.00) show; s3rver rows have no such log. Every run of every approach checks the unpacked files and bytes against the bundle.
        - Runs are interleaved (a, b, c, a, b, c, …) for each server so drift in machine load hits every approach alike. {Variant(results)} The page cache cannot be dropped here (container) and need not be: nginx and s3rver serve from memory after the first run, so the figures compare the transfer and unpack paths, not the disk. No sha256 pin is given to the extension.
        """;

    private static string Variant(BenchmarkResults results) =>
        (results.Options.OnlyExtension ? "Only (c) ran (`--only-extension`): no (a), (b), (d) or reset case, so the checks against them are left out. " : string.Empty)
        + (results.BaselineBinary is null ? string.Empty : "(c) also ran with the baseline binary (`--baseline-extension`), right before or after the current one, the order swapped every run, after one unmeasured warm-up run of each binary against each server; \"current ÷ baseline\" divides the two medians, and ≤ 1.05 counts as no slower (the noise allowance of a shared machine).");

    private static string Cpu(ResultRow row) => row.CpuMs is { } cpu && row.MedianMs is { } wall && wall > 0
        ? $"{cpu.ToString("0", CultureInfo.InvariantCulture)} ({(cpu / wall).ToString("0.00", CultureInfo.InvariantCulture)})"
        : "-";

    private static double? Ratio(double? value, double? of) => value is { } v && of is { } o && o > 0 ? v / o : null;

    private static double? Ratio(long? value, long? of) => Ratio((double?)value, (double?)of);

    private static string F(double? value, string format = "0.0") => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "-";

    private static string Clip(string error)
    {
        var line = error.ReplaceLineEndings(" ").Replace('`', '\'');
        return line.Length > 400 ? line[..400] + "…" : line;
    }
}
