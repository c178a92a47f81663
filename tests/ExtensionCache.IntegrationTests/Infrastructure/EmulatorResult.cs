using System.Text.Json;
using System.Text.RegularExpressions;

namespace ExtensionCache.IntegrationTests.Infrastructure;

/// <summary>The emulator's exit code and log lines, with the one-shot mode's RESPONSE/ERROR lines parsed.</summary>
public sealed partial class EmulatorResult(ProcessResult process)
{
    public const string ExtensionPrefix = "[extension-cache]";

    public int ExitCode => process.ExitCode;

    public IReadOnlyList<string> Lines => process.Lines;

    public string Output => process.Output;

    public TimeSpan Elapsed => process.Elapsed;

    /// <summary>Bodies of the <c>RESPONSE RequestId: id body</c> lines, in order.</summary>
    public IReadOnlyList<JsonElement> Responses =>
        [.. Lines.Select(l => ResponseLine().Match(l)).Where(m => m.Success).Select(m => ParseBody(m.Groups["body"].Value))];

    /// <summary>The <c>ERROR RequestId: id body</c> lines.</summary>
    public IReadOnlyList<string> Errors => [.. Lines.Where(l => ErrorLine().IsMatch(l))];

    /// <summary>Bodies of the <c>ERROR RequestId: id body</c> lines (<c>errorMessage</c>, <c>errorType</c>), in order.</summary>
    public IReadOnlyList<JsonElement> ErrorBodies =>
        [.. Lines.Select(l => ErrorLine().Match(l)).Where(m => m.Success).Select(m => ParseBody(m.Groups["body"].Value))];

    /// <summary>The extension's own log lines.</summary>
    public IReadOnlyList<string> ExtensionLines => [.. Lines.Where(l => l.Contains(ExtensionPrefix, StringComparison.Ordinal))];

    private static JsonElement ParseBody(string body)
    {
        using var document = JsonDocument.Parse(body);
        return document.RootElement.Clone();
    }

    [GeneratedRegex(@"^RESPONSE RequestId: (?<id>\S+) (?<body>.*)$")]
    private static partial Regex ResponseLine();

    [GeneratedRegex(@"^ERROR RequestId: (?<id>\S+) (?<body>.*)$")]
    private static partial Regex ErrorLine();
}
