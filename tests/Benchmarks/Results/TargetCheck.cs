namespace ExtensionCache.Benchmarks.Results;

/// <summary>One target of the issue: the measured value against its limit (lower is better for all of them).</summary>
public sealed record TargetCheck(string Target, string Case, double? Measured, double Limit, string Unit)
{
    public string Verdict => Measured is not { } m ? "N/A" : m <= Limit ? "PASS" : "MISS";

    /// <summary>How far from the limit, signed: negative is headroom, positive is the miss.</summary>
    public string Gap => Measured is not { } m
        ? "not measured"
        : m <= Limit
            ? $"{Format(Limit - m)} {Unit} headroom ({(Limit - m) / Limit:P0})"
            : $"over by {Format(m - Limit)} {Unit} ({(m - Limit) / Limit:P0})";

    public string MeasuredText => Measured is { } m ? $"{Format(m)} {Unit}" : "n/a";

    private static string Format(double value) => value.ToString(value < 10 ? "0.00" : "0.0", System.Globalization.CultureInfo.InvariantCulture);
}
