namespace ExtensionCache.Benchmarks.Results;

/// <summary>The median, the figure every table reports (robust to one noisy run among few).</summary>
public static class Median
{
    public static double? Of(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return null;
        }

        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    public static long? Of(IEnumerable<long?> values)
    {
        var median = Of(values.Where(v => v.HasValue).Select(v => (double)v!.Value));
        return median is { } m ? (long)m : null;
    }
}
