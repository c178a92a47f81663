using System.Text.Json;
using ExtensionCache.Extension.Logging;

namespace ExtensionCache.Tests.Logging;

public sealed class LifecycleLogTests
{
    private static (LifecycleLog Log, StringWriter Output) Create(bool json, LogLevel minimum = LogLevel.Info)
    {
        var output = new StringWriter();
        return (new LifecycleLog(output, json, minimum), output);
    }

    private static string[] Lines(StringWriter output) =>
        output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void Text_lines_are_prefixed_with_key_value_fields()
    {
        var (log, output) = Create(json: false);
        log.Info("registered", ("name", "extension-cache"), ("events", new[] { "SHUTDOWN" }), ("ms", 12L), ("ok", true), ("rate", 81.23456));

        Assert.Equal("[extension-cache] registered name=extension-cache events=[SHUTDOWN] ms=12 ok=true rate=81.235", Assert.Single(Lines(output)));
    }

    [Fact]
    public void Text_values_with_spaces_quotes_or_nothing_are_quoted_and_lines_stay_single()
    {
        var (log, output) = Create(json: false);
        log.Error("bundle failed\nbadly", ("error", "not found: \"a\" b"), ("empty", string.Empty), ("missing", null), ("path", "/tmp/a=b"));

        Assert.Equal(
            "[extension-cache] bundle failed\\nbadly error=\"not found: \\\"a\\\" b\" empty=\"\" missing=null path=\"/tmp/a=b\"",
            Assert.Single(Lines(output)));
    }

    [Fact]
    public void Json_lines_carry_timestamp_level_message_and_typed_fields()
    {
        var (log, output) = Create(json: true);
        log.Warn("ready", ("bundles", 2), ("totalMs", 345L), ("reused", false), ("events", new[] { "SHUTDOWN" }), ("path", "/tmp/x y"), ("none", null));

        using var line = JsonDocument.Parse(Assert.Single(Lines(output)));
        var root = line.RootElement;
        Assert.True(DateTimeOffset.TryParse(root.GetProperty("timestamp").GetString(), out _));
        Assert.EndsWith("Z", root.GetProperty("timestamp").GetString(), StringComparison.Ordinal);
        Assert.Equal("WARN", root.GetProperty("level").GetString());
        Assert.Equal("ready", root.GetProperty("message").GetString());
        Assert.Equal(2, root.GetProperty("bundles").GetInt32());
        Assert.Equal(345, root.GetProperty("totalMs").GetInt64());
        Assert.False(root.GetProperty("reused").GetBoolean());
        Assert.Equal("SHUTDOWN", root.GetProperty("events")[0].GetString());
        Assert.Equal("/tmp/x y", root.GetProperty("path").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("none").ValueKind);
    }

    [Fact]
    public void Json_lines_stay_readable()
    {
        var (log, output) = Create(json: true);
        log.Error("EXTENSION_CACHE_MODE='x' is not valid", ("version", "1.0.0+abc"), ("path", "<root>/a"));

        var line = Assert.Single(Lines(output));
        Assert.Contains("\"message\":\"EXTENSION_CACHE_MODE='x' is not valid\"", line, StringComparison.Ordinal);
        Assert.Contains("\"version\":\"1.0.0+abc\"", line, StringComparison.Ordinal);
        Assert.Contains("\"path\":\"<root>/a\"", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Lines_below_the_minimum_level_are_dropped()
    {
        var (log, output) = Create(json: false, LogLevel.Warn);
        log.Debug("d");
        log.Info("i");
        log.Warn("w");
        log.Error("e");

        Assert.Equal(["[extension-cache] w", "[extension-cache] e"], Lines(output));
    }

    [Theory]
    [InlineData(null, null, null, false, LogLevel.Info)]
    [InlineData("JSON", "debug", null, true, LogLevel.Debug)]
    [InlineData("json", "TRACE", null, true, LogLevel.Trace)]
    [InlineData("Text", "ERROR", null, false, LogLevel.Error)]
    [InlineData(null, "FATAL", null, false, LogLevel.Fatal)]
    [InlineData(null, "WARN", "debug", false, LogLevel.Debug)]
    [InlineData(null, "WARN", "nonsense", false, LogLevel.Warn)]
    [InlineData(null, "nonsense", null, false, LogLevel.Info)]
    public void Format_and_level_come_from_the_environment(string? format, string? lambdaLevel, string? overrideLevel, bool json, LogLevel level)
    {
        var map = new Dictionary<string, string?>
        {
            ["AWS_LAMBDA_LOG_FORMAT"] = format,
            ["AWS_LAMBDA_LOG_LEVEL"] = lambdaLevel,
            ["EXTENSION_CACHE_LOG_LEVEL"] = overrideLevel,
        };

        var log = LifecycleLog.FromEnvironment(TextWriter.Null, name => map.GetValueOrDefault(name));

        Assert.Equal(json, log.IsJson);
        Assert.Equal(level, log.Minimum);
    }

    [Fact]
    public async Task Concurrent_writers_never_interleave_lines()
    {
        var (log, output) = Create(json: true);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 200; i++)
            {
                log.Info("bundle", ("thread", t), ("i", i), ("pad", new string('x', 100)));
            }
        })));

        var lines = Lines(output);
        Assert.Equal(1600, lines.Length);
        Assert.All(lines, l => JsonDocument.Parse(l).Dispose());
    }
}
