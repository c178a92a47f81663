using System.Text.Json;
using ExtensionCache.Extension.Logging;
using ExtensionCache.Tests.Fixtures;

namespace ExtensionCache.Tests.Logging;

public sealed class EmbeddedMetricsTests
{
    private static readonly BundleMetricValues Values = new("deps", "refresh", 1234, 56, 78, 9, false, 100, 1, 0);

    [Fact]
    public void A_line_is_one_bare_EMF_object_with_namespace_dimension_and_every_value()
    {
        var line = EmbeddedMetrics.Format(Values, DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));

        Assert.DoesNotContain('\n', line);
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        var aws = root.GetProperty("_aws");
        Assert.Equal(1_700_000_000_000, aws.GetProperty("Timestamp").GetInt64());
        var directive = Assert.Single(aws.GetProperty("CloudWatchMetrics").EnumerateArray());
        Assert.Equal("ExtensionCache", directive.GetProperty("Namespace").GetString());
        Assert.Equal(["Bundle"], Assert.Single(directive.GetProperty("Dimensions").EnumerateArray()).EnumerateArray().Select(d => d.GetString()));
        var names = directive.GetProperty("Metrics").EnumerateArray().Select(m => m.GetProperty("Name").GetString()!).ToList();
        Assert.Equal(
            ["DownloadedBytes", "DownloadMs", "UnpackMs", "Files", "Reused", "DeltaBytesSaved", "RefreshChecks", "RefreshFailures"],
            names);
        Assert.Equal("deps", root.GetProperty("Bundle").GetString());
        Assert.Equal("refresh", root.GetProperty("Event").GetString());
        Assert.Equal(
            [1234L, 56, 78, 9, 0, 100, 1, 0],
            names.Select(n => root.GetProperty(n).GetInt64()));
    }

    [Fact]
    public void Metrics_off_writes_nothing_and_on_writes_one_line_per_emit()
    {
        var off = new TestLog();
        new EmbeddedMetrics(off.Log, enabled: false, TimeProvider.System).Emit(Values);
        Assert.Equal(string.Empty, off.Text);

        var on = new TestLog();
        var metrics = new EmbeddedMetrics(on.Log, enabled: true, TimeProvider.System);
        metrics.Emit(Values);
        metrics.Emit(Values with { Reused = true });
        var lines = on.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => Assert.StartsWith("{\"_aws\":", l, StringComparison.Ordinal));
        Assert.Equal(1, JsonDocument.Parse(lines[1]).RootElement.GetProperty("Reused").GetInt32());
    }
}
