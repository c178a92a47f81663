using System.Globalization;
using System.Text.RegularExpressions;

namespace ExtensionCache.IntegrationTests.Infrastructure;

/// <summary>
/// An emulator <c>REPORT RequestId: id Duration: … Max Memory Used: N MB …</c> line: the request id, the duration and
/// the peak resident memory of the sandbox's processes since its INIT.
/// </summary>
public sealed partial record ReportLine(string RequestId, double DurationMs, int MaxMemoryUsedMb)
{
    public static bool IsReportFor(string line, string requestId)
    {
        ArgumentNullException.ThrowIfNull(line);
        return line.StartsWith($"REPORT RequestId: {requestId} ", StringComparison.Ordinal);
    }

    public static ReportLine Parse(string line)
    {
        var match = Pattern().Match(line);
        return match.Success
            ? new ReportLine(
                match.Groups["id"].Value,
                double.Parse(match.Groups["duration"].Value, CultureInfo.InvariantCulture),
                int.Parse(match.Groups["memory"].Value, CultureInfo.InvariantCulture))
            : throw new FormatException($"not a REPORT line: {line}");
    }

    [GeneratedRegex(@"^REPORT RequestId: (?<id>\S+) Duration: (?<duration>[0-9.]+) ms .* Max Memory Used: (?<memory>\d+) MB")]
    private static partial Regex Pattern();
}
