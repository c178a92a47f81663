using System.Globalization;

namespace ExtensionCache.Benchmarks.Herd;

/// <summary>What one policy (one binary) did in the herd: per-process outcomes and the proxy's request counts.</summary>
public sealed record HerdResult(string Policy, IReadOnlyList<HerdSample> Samples, int Gets, int Throttled, double WallMs)
{
    public int Succeeded => Samples.Count(s => s.Error is null);

    public double SuccessRate => Samples.Count == 0 ? 0 : (double)Succeeded / Samples.Count;

    /// <summary>GETs the server answered (not throttled) per process, failed ones included.</summary>
    public double ServedGetsPerProcess => Samples.Count == 0 ? 0 : (double)(Gets - Throttled) / Samples.Count;

    /// <summary>Every GET sent, throttled ones included, per process.</summary>
    public double GetsPerProcess => Samples.Count == 0 ? 0 : (double)Gets / Samples.Count;

    public double Percentile(double p)
    {
        var ready = Samples.Where(s => s.Error is null).Select(s => s.ReadyMs).Order().ToList();
        if (ready.Count == 0)
        {
            return double.NaN;
        }

        // Nearest rank.
        var rank = (int)Math.Ceiling(p / 100 * ready.Count);
        return ready[Math.Clamp(rank - 1, 0, ready.Count - 1)];
    }

    public string Row() => string.Create(
        CultureInfo.InvariantCulture,
        $"| {Policy} | {Succeeded}/{Samples.Count} ({SuccessRate:P0}) | {ServedGetsPerProcess:0.00} | {GetsPerProcess:0.00} | {Gets} | {Throttled} | {Percentile(50):0} | {Percentile(95):0} | {Percentile(99):0} | {Percentile(99) / Percentile(50):0.00} |");
}
