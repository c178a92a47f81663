using System.IO.Compression;
using System.Text.Json;
using ExtensionCache.Tests.Lambda;

namespace ExtensionCache.Tests.Lifecycle;

/// <summary>The extension as a real process against a real loopback Extensions API, with real file:// bundles.</summary>
public sealed class ExtensionProcessTests : IAsyncLifetime
{
    private readonly FakeExtensionsApi api = new();
    private readonly TempDirectory temp = new();

    private string Root => temp.Combine("cache");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await api.DisposeAsync();
        temp.Dispose();
    }

    [Fact]
    public async Task Help_lists_the_variables_and_exit_codes()
    {
        await using var extension = ExtensionProcess.Start(new Dictionary<string, string>(), "--help");

        Assert.Equal(0, await extension.WaitForExitAsync());
        var help = string.Join('\n', extension.Output);
        Assert.Contains("EXTENSION_CACHE_BUNDLES", help, StringComparison.Ordinal);
        Assert.Contains("Exit codes:", help, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Version_prints_one_line()
    {
        await using var extension = ExtensionProcess.Start(new Dictionary<string, string>(), "--version");

        Assert.Equal(0, await extension.WaitForExitAsync());
        Assert.Matches(@"^\d+\.\d+\.\d+", Assert.Single(extension.Output));
    }

    [Fact]
    public async Task Without_the_runtime_api_it_says_so_and_exits_2()
    {
        await using var extension = ExtensionProcess.Start(new Dictionary<string, string> { ["EXTENSION_CACHE_BUNDLES"] = "a=file:///x.zip" });

        Assert.Equal(2, await extension.WaitForExitAsync());
        Assert.Contains(extension.Output, l => l.Contains("AWS_LAMBDA_RUNTIME_API is not set", StringComparison.Ordinal));
        Assert.Empty(api.Requests);
    }

    [Fact]
    public async Task Config_errors_register_then_report_init_error_with_every_message()
    {
        await using var extension = ExtensionProcess.Start(new Dictionary<string, string>
        {
            ["AWS_LAMBDA_RUNTIME_API"] = api.RuntimeApi,
            ["EXTENSION_CACHE_BUNDLES"] = "a=ftp://host/a.zip",
            ["EXTENSION_CACHE_MODE"] = "eager",
        });

        Assert.Equal(1, await extension.WaitForExitAsync());
        Assert.Equal(["/2020-01-01/extension/register", "/2020-01-01/extension/init/error"], api.Requests.Select(r => r.Path));
        var initError = api.Requests[1];
        Assert.Equal("Extension.ConfigInvalid", initError.Headers["Lambda-Extension-Function-Error-Type"]);
        Assert.Equal(FakeExtensionsApi.Identifier, initError.Headers["Lambda-Extension-Identifier"]);
        using var body = JsonDocument.Parse(initError.Body);
        var message = body.RootElement.GetProperty("errorMessage").GetString();
        Assert.Contains("EXTENSION_CACHE_BUNDLES", message, StringComparison.Ordinal);
        Assert.Contains("EXTENSION_CACHE_MODE='eager'", message, StringComparison.Ordinal);
        Assert.Equal("extension-cache", api.Requests[0].Headers["Lambda-Extension-Name"]);
    }

    [Fact]
    public async Task Before_register_publishes_before_register_then_exits_0_on_shutdown()
    {
        var bundle = MakeBundle("deps.zip", ("lib/hello.txt", "hello from the bundle"));
        var publishedAtRegister = false;
        api.OnRegister = () => publishedAtRegister = File.Exists(Path.Combine(Root, "deps", "lib", "hello.txt"));

        await using var extension = ExtensionProcess.Start(Environment(("EXTENSION_CACHE_BUNDLES", $"deps=file://{bundle}")));

        await api.WaitForAsync("/event/next");
        Assert.True(publishedAtRegister, "the bundle was not published when register arrived");
        var registered = await extension.WaitForLineAsync("registered");
        Assert.Contains("name=extension-cache events=[SHUTDOWN] mode=before-register", registered, StringComparison.Ordinal);
        await extension.WaitForLineAsync("ready bundles=1 failed=0");
        Assert.Equal("hello from the bundle", await File.ReadAllTextAsync(Path.Combine(Root, "deps", "lib", "hello.txt")));

        api.EnqueueShutdown("spindown");
        Assert.Equal(0, await extension.WaitForExitAsync(FakeExtensionsApi.ShutdownBudget));
        Assert.Contains(extension.Output, l => l.StartsWith("[extension-cache] shutdown reason=spindown", StringComparison.Ordinal));
        Assert.Equal("""{"events":["SHUTDOWN"]}""", api.Requests[0].Body);
    }

    [Fact]
    public async Task Overlap_registers_first_and_is_ready_before_next()
    {
        var bundle = MakeBundle("deps.zip", ("a.txt", "a"));
        var statusFile = Path.Combine(Root, ".status", "deps.json");
        Directory.CreateDirectory(Path.GetDirectoryName(statusFile)!);
        await File.WriteAllTextAsync(statusFile, "stale, from an earlier INIT");
        var staleAtRegister = true;
        var publishedAtRegister = true;
        api.OnRegister = () =>
        {
            staleAtRegister = File.Exists(statusFile);
            publishedAtRegister = Directory.Exists(Path.Combine(Root, "deps"));
        };

        await using var extension = ExtensionProcess.Start(Environment(
            ("EXTENSION_CACHE_BUNDLES", $"deps=file://{bundle}"),
            ("EXTENSION_CACHE_MODE", "overlap")));

        await api.WaitForAsync("/event/next");
        Assert.False(staleAtRegister, "a stale status file survived until register");
        Assert.False(publishedAtRegister, "overlap mode prepared the bundle before register");
        Assert.True(File.Exists(Path.Combine(Root, "deps", "a.txt")), "INIT ended (next) before the bundle was published");
        Assert.Contains("ready", await File.ReadAllTextAsync(statusFile), StringComparison.Ordinal);
        Assert.Contains("mode=overlap", await extension.WaitForLineAsync("registered"), StringComparison.Ordinal);

        api.EnqueueShutdown("timeout");
        Assert.Equal(0, await extension.WaitForExitAsync(FakeExtensionsApi.ShutdownBudget));
    }

    [Fact]
    public async Task A_failed_bundle_with_fail_registers_then_reports_the_engine_error_type()
    {
        var missing = temp.Combine("nowhere", "missing.zip");

        await using var extension = ExtensionProcess.Start(Environment(("EXTENSION_CACHE_BUNDLES", $"deps=file://{missing}")));

        Assert.Equal(1, await extension.WaitForExitAsync());
        Assert.Equal(["/2020-01-01/extension/register", "/2020-01-01/extension/init/error"], api.Requests.Select(r => r.Path));
        var errorType = api.Requests[1].Headers["Lambda-Extension-Function-Error-Type"];
        Assert.StartsWith("Extension.", errorType, StringComparison.Ordinal);
        Assert.NotEqual("Extension.InternalError", errorType);
        using var body = JsonDocument.Parse(api.Requests[1].Body);
        Assert.Contains("deps", body.RootElement.GetProperty("errorMessage").GetString(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(Root, "deps")));
    }

    [Fact]
    public async Task A_failed_bundle_with_continue_carries_on_to_next()
    {
        var good = MakeBundle("good.zip", ("g.txt", "g"));
        var missing = temp.Combine("missing.zip");

        await using var extension = ExtensionProcess.Start(Environment(
            ("EXTENSION_CACHE_BUNDLES", $"bad=file://{missing};good=file://{good}"),
            ("EXTENSION_CACHE_ON_ERROR", "continue")));

        await api.WaitForAsync("/event/next");
        await extension.WaitForLineAsync("ready bundles=1 failed=1");
        Assert.DoesNotContain(api.Requests, r => r.Path.EndsWith("/init/error", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(Root, "good", "g.txt")));
        Assert.False(Directory.Exists(Path.Combine(Root, "bad")));
        Assert.Contains("failed", await File.ReadAllTextAsync(Path.Combine(Root, ".status", "bad.json")), StringComparison.Ordinal);

        api.EnqueueShutdown();
        Assert.Equal(0, await extension.WaitForExitAsync(FakeExtensionsApi.ShutdownBudget));
    }

    [Fact]
    public async Task Sigterm_while_waiting_exits_0_at_once()
    {
        var bundle = MakeBundle("deps.zip", ("a.txt", "a"));
        await using var extension = ExtensionProcess.Start(Environment(("EXTENSION_CACHE_BUNDLES", $"deps=file://{bundle}")));
        await api.WaitForAsync("/event/next");

        await extension.SignalAsync("TERM");

        Assert.Equal(0, await extension.WaitForExitAsync(FakeExtensionsApi.ShutdownBudget));
        Assert.Contains(extension.Output, l => l.Contains("stopped reason=sigterm", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Invoke_and_unknown_events_do_not_end_the_extension()
    {
        var bundle = MakeBundle("deps.zip", ("a.txt", "a"));
        await using var extension = ExtensionProcess.Start(Environment(("EXTENSION_CACHE_BUNDLES", $"deps=file://{bundle}"), ("AWS_LAMBDA_LOG_FORMAT", "JSON")));
        await api.WaitForAsync("/event/next");

        api.Enqueue("""{"eventType":"invoke","requestId":"r1","deadlineMs":1}""");
        await api.WaitForAsync("/event/next");
        api.Enqueue("""{"eventType":"RESTORE"}""");
        await api.WaitForAsync("/event/next");
        api.EnqueueShutdown("failure");

        Assert.Equal(0, await extension.WaitForExitAsync(FakeExtensionsApi.ShutdownBudget));
        var messages = extension.Output.Where(l => !l.StartsWith("{\"_aws\"", StringComparison.Ordinal)).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("message").GetString()).ToList();
        Assert.Contains("unknown event ignored", messages);
        Assert.Equal("shutdown", messages[^1]);
    }

    [Fact]
    public async Task An_unusable_root_fails_init_with_root_unavailable()
    {
        var bundle = MakeBundle("deps.zip", ("a.txt", "a"));
        var blocker = temp.Combine("a-file");
        await File.WriteAllTextAsync(blocker, "not a folder");
        var environment = Environment(("EXTENSION_CACHE_BUNDLES", $"deps=file://{bundle}"));
        environment["EXTENSION_CACHE_ROOT"] = Path.Combine(blocker, "cache");

        await using var extension = ExtensionProcess.Start(environment);

        Assert.Equal(1, await extension.WaitForExitAsync());
        var initError = await api.WaitForAsync("/init/error");
        Assert.Equal("Extension.RootUnavailable", initError.Headers["Lambda-Extension-Function-Error-Type"]);
        Assert.Contains(blocker, initError.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_register_exits_3()
    {
        api.RegisterStatus = 403;
        var bundle = MakeBundle("deps.zip", ("a.txt", "a"));

        await using var extension = ExtensionProcess.Start(Environment(("EXTENSION_CACHE_BUNDLES", $"deps=file://{bundle}")));

        Assert.Equal(3, await extension.WaitForExitAsync());
        Assert.Contains(extension.Output, l => l.Contains("Extension.InvalidExtensionName", StringComparison.Ordinal));
    }

    private Dictionary<string, string> Environment(params (string Key, string Value)[] variables)
    {
        var environment = new Dictionary<string, string>
        {
            ["AWS_LAMBDA_RUNTIME_API"] = api.RuntimeApi,
            ["EXTENSION_CACHE_ROOT"] = Root,
        };
        foreach (var (key, value) in variables)
        {
            environment[key] = value;
        }

        return environment;
    }

    private string MakeBundle(string fileName, params (string Path, string Content)[] files)
    {
        var source = temp.Combine("source-" + Path.GetFileNameWithoutExtension(fileName));
        foreach (var (path, content) in files)
        {
            var full = Path.Combine(source, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, content);
        }

        var archive = temp.Combine(fileName);
        ZipFile.CreateFromDirectory(source, archive);
        return archive;
    }
}
