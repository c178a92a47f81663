using ExtensionCache.Benchmarks.Approaches;

namespace ExtensionCache.Benchmarks.Results;

/// <summary>The issue's targets, each checked against this run's medians.</summary>
public static class TargetChecks
{
    private const double Mib = 1024 * 1024;

    public static IReadOnlyList<TargetCheck> From(BenchmarkResults results)
    {
        var checks = new List<TargetCheck>();
        var rows = results.Rows;
        ResultRow? Find(string bundleKey, string serverPrefix, Approach approach) =>
            rows.FirstOrDefault(r => r.Bundle.Key == bundleKey && r.Server.StartsWith(serverPrefix, StringComparison.Ordinal) && r.Approach == approach);

        // Without (a), (b) and (d) the checks against them, and against the unpacked footprint (d) measures, do not apply.
        var naiveBundles = results.Options.OnlyExtension ? [] : results.Bundles;
        foreach (var bundle in naiveBundles)
        {
            var capped = Find(bundle.Key, "nginx 75", Approach.ExtensionCache);
            var cappedNaive = Find(bundle.Key, "nginx 75", Approach.NaiveUnzip);
            checks.Add(new TargetCheck("(c) ≤ 0.25 × (a), 75 MiB/s per connection", bundle.Label, Ratio(capped?.MedianMs, cappedNaive?.MedianMs), 0.25, "×"));
        }

        foreach (var bundle in naiveBundles)
        {
            var uncapped = Find(bundle.Key, "nginx uncapped", Approach.ExtensionCache);
            var local = Find(bundle.Key, "local", Approach.LocalDotnetExtract);
            checks.Add(new TargetCheck("(c) ≤ 1.0 × (d) local ZipFile.Extract, uncapped", bundle.Label + " (nginx)", Ratio(uncapped?.MedianMs, local?.MedianMs), 1.0, "×"));
        }

        foreach (var bundle in naiveBundles)
        {
            var footprint = results.FootprintBytes.GetValueOrDefault(bundle.Key);
            var worst = rows.Where(r => r.Bundle.Key == bundle.Key && r.Approach == Approach.ExtensionCache && r.PeakTmpBytes.HasValue)
                .MaxBy(r => r.PeakTmpBytes);
            checks.Add(new TargetCheck("(c) peak /tmp ≤ 1.02 × unpacked", $"{bundle.Label} (worst server: {worst?.Server ?? "-"})", Ratio(worst?.PeakTmpBytes, footprint), 1.02, "×"));
        }

        var rssRows = results.RssRows.Count > 0 ? results.RssRows : rows.Where(r => r.Approach == Approach.ExtensionCache).ToList();
        var rssSize = results.RssRows.Count > 0 ? results.Options.RssSizeMb : results.Options.SizeMb;
        var peakRss = rssRows.Where(r => r.PeakRssBytes.HasValue).MaxBy(r => r.PeakRssBytes);
        checks.Add(new TargetCheck("extension peak RSS ≤ 64 MiB (500 MB bundle)", $"{peakRss?.Bundle.Label ?? "-"}, {rssSize} MiB bundle, worst", peakRss?.PeakRssBytes / Mib, 64, "MiB"));

        var idle = rows.Concat(results.RssRows).Where(r => r.Approach == Approach.ExtensionCache && r.IdleRssBytes.HasValue).MaxBy(r => r.IdleRssBytes);
        checks.Add(new TargetCheck("idle RSS after INIT ≤ 20 MiB", $"worst: {idle?.Bundle.Label ?? "-"} / {idle?.Server ?? "-"}", idle?.IdleRssBytes / Mib, 20, "MiB"));

        foreach (var reset in results.ResetCases.Where(r => !r.IsCalibration && !r.IsBaseline))
        {
            checks.Add(new TargetCheck("start → register ≤ 15 ms median, reset case", reset.Source, reset.MedianMs, 15, "ms"));
        }

        foreach (var comparison in BaselineComparison.From(rows))
        {
            checks.Add(new TargetCheck("(c) no slower than the baseline binary: ratio ≤ 1.05", $"{comparison.Bundle.Label} / {comparison.Server}", comparison.Ratio, BaselineComparison.Limit, "×"));
        }

        return checks;
    }

    private static double? Ratio(double? value, double? of) => value is { } v && of is { } o && o > 0 ? v / o : null;

    private static double? Ratio(long? value, long? of) => Ratio((double?)value, (double?)of);
}
