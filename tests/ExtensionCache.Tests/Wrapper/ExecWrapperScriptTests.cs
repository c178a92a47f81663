using System.Diagnostics;
using System.Text.Json;
using ExtensionCache.Contract;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Publishing;
using ExtensionCache.Tests.Configuration;

namespace ExtensionCache.Tests.Wrapper;

/// <summary>
/// The exec wrapper (layer/opt/extension-cache-wrapper) on real folders, under dash and bash: which folders of which
/// bundles it adds to which variable and where, the status files the extension's own Publisher writes, the root rule
/// against the extension's, overlap-mode waiting and its bound, the log line, and that it always execs the runtime.
/// The end-to-end tests (AttachWrapperTests) run it in the emulator with real Python and Node runtimes.
/// </summary>
public sealed class ExecWrapperScriptTests : IDisposable
{
    // What Lambda sets before the wrapper runs (lambda-contract.md; Node's bootstrap sets NODE_PATH).
    private const string LambdaPath = "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin";
    private const string LambdaLibraryPath = "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib";
    private const string LambdaNodePath = "/opt/nodejs/node22/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task";

    private readonly TempDirectory _temp = new("wrapper");

    private string Root => _temp.Combine("cache");

    public void Dispose() => _temp.Dispose();

    [Theory]
    [MemberData(nameof(ShellNames))]
    public async Task A_ready_bundle_adds_each_layer_folder_it_has_just_before_the_layers_folders(string shell)
    {
        Publish("deps", Ready, "python/lib/python3.12/site-packages/a", "python/b", "nodejs/node22/node_modules/c", "nodejs/node_modules/d", "bin", "lib");
        var deps = Path.Join(Root, "deps");

        var run = await RunAsync(shell, Environment("deps=s3://bucket/deps.zip", ("AWS_EXECUTION_ENV", "AWS_Lambda_nodejs22.x"),
            ("PATH", "/usr/bin:/bin:/opt/bin"), ("LD_LIBRARY_PATH", LambdaLibraryPath), ("NODE_PATH", LambdaNodePath), ("PYTHONPATH", "/var/task:/opt/python")));

        Assert.Equal(0, run.ExitCode);
        Assert.Equal($"/usr/bin:/bin:{deps}/bin:/opt/bin", run.Variable("PATH"));
        Assert.Equal(LambdaLibraryPath.Replace(":/opt/lib", $":{deps}/lib:/opt/lib", StringComparison.Ordinal), run.Variable("LD_LIBRARY_PATH"));
        Assert.Equal($"{deps}/nodejs/node22/node_modules:{deps}/nodejs/node_modules:{LambdaNodePath}", run.Variable("NODE_PATH"));
        // The runtime is Node (no Python named): the bundle's single site-packages folder is taken.
        Assert.Equal($"/var/task:{deps}/python/lib/python3.12/site-packages:{deps}/python:/opt/python", run.Variable("PYTHONPATH"));
        Assert.Equal("deps:python/lib/python3.12/site-packages,python,nodejs/node22/node_modules,nodejs/node_modules,bin,lib;esm-hook", run.Field("added"));
    }

    [Theory]
    [MemberData(nameof(ShellNames))]
    public async Task With_PYTHONPATH_unset_the_layers_python_folders_and_the_runtime_dir_follow_the_bundles(string shell)
    {
        Publish("deps", Ready, "python/lib/python3.13/site-packages/a", "python/b");
        var deps = Path.Join(Root, "deps");

        var run = await RunAsync(shell, Environment("deps=s3://bucket/deps.zip", ("AWS_EXECUTION_ENV", "AWS_Lambda_python3.13"), ("LAMBDA_RUNTIME_DIR", "/var/runtime")));

        // /opt/python does not exist on this machine, so only the runtime dir follows (Lambda's bootstrap would
        // otherwise have set PYTHONPATH to it, and added /opt/python's folders to sys.path).
        Assert.Equal($"{deps}/python/lib/python3.13/site-packages:{deps}/python:/var/runtime", run.Variable("PYTHONPATH"));
        Assert.Null(run.Variable("NODE_PATH"));
        Assert.Null(run.Variable("LD_LIBRARY_PATH"));
        Assert.Equal("/usr/bin:/bin", run.Variable("PATH"));
        Assert.Null(run.Variable("NODE_OPTIONS"));
        Assert.Equal("deps:python/lib/python3.13/site-packages,python", run.Field("added"));
    }

    [Theory]
    [MemberData(nameof(ShellNames))]
    public async Task Bundles_come_in_the_order_of_the_bundle_list_and_failed_or_unpublished_ones_add_nothing(string shell)
    {
        Publish("zeta", Ready, "bin", "python/z");
        Publish("alpha", Ready, "bin");
        Publish("stale-one", BundleStatus.Stale, "bin");
        Publish("broken", BundleStatus.Failed, "bin"); // an earlier version is still linked, as after a reset
        Directory.CreateDirectory(Path.Join(Root, "never"));

        var run = await RunAsync(shell, Environment("zeta=s3://b/z.zip; broken=s3://b/x.zip ;never=s3://b/n.zip;alpha=https://h/a.tgz?x=1;stale-one=file:///s.zip"));

        Assert.Equal(0, run.ExitCode);
        Assert.Equal($"/usr/bin:/bin:{Root}/zeta/bin:{Root}/alpha/bin:{Root}/stale-one/bin", run.Variable("PATH"));
        Assert.Equal($"{Root}/zeta/python", run.Variable("PYTHONPATH"));
        Assert.Equal("zeta:python,bin;alpha:bin;stale-one:bin", run.Field("added"));
        Assert.Equal("broken:failed;never:no-status", run.Field("skipped"));
    }

    [Fact]
    public async Task Names_are_parsed_as_the_extension_parses_them_and_only_folders_that_exist_are_added()
    {
        Publish("deps", Ready, "bin");
        Publish("other", Ready, "data/only");

        // Fragments and queries are not names; whitespace is trimmed; a name the extension refuses is skipped; a
        // repeated name counts once.
        var run = await RunAsync("dash", Environment(" deps = s3://b/k.zip#sha256=00&format=zip ;;bad name=x;.hidden=x;deps=s3://b/again.zip;other=s3://b/o.zip?versionId=1;=x;noequals"));

        Assert.Equal("deps:bin;other:-", run.Field("added"));
        Assert.Equal("-", run.Field("skipped"));
        Assert.Null(run.Variable("PYTHONPATH"));
        Assert.Null(run.Variable("NODE_PATH"));
        Assert.Null(run.Variable("LD_LIBRARY_PATH"));
    }

    [Theory]
    [InlineData("AWS_Lambda_python3.12", "/var/lang/bin/python3.12", "python/lib/python3.12/site-packages")]
    [InlineData(null, "/var/lang/bin/python3.12", "python/lib/python3.12/site-packages")]
    [InlineData("AWS_Lambda_python3.13", "/var/lang/bin/python3.13", null)]
    [InlineData("AWS_Lambda_nodejs22.x", "/var/lang/bin/node", null)]
    [InlineData(null, "/usr/bin/env", null)]
    public async Task The_site_packages_folder_is_the_runtime_pythons_and_only_a_single_one_is_guessed(string? executionEnvironment, string command, string? expected)
    {
        // Two versions in the bundle: a runtime that names its Python gets its own; none is guessed among two.
        Publish("deps", Ready, "python/lib/python3.12/site-packages/a", "python/lib/python3.11/site-packages/b");
        (string, string)[] extra = executionEnvironment is null ? [] : [("AWS_EXECUTION_ENV", executionEnvironment)];
        // The command stands for the runtime's; an env by that name runs in its place.
        var bin = _temp.Combine("bin");
        Directory.CreateDirectory(bin);
        var fake = Path.Join(bin, Path.GetFileName(command));
        File.CreateSymbolicLink(fake, "/usr/bin/env");

        var run = await RunAsync("dash", Environment("deps=s3://b/d.zip", extra), fake);

        var python = Path.Join(Root, "deps", "python");
        Assert.Equal(expected is null ? python : $"{Path.Join(Root, "deps", expected)}:{python}", run.Variable("PYTHONPATH"));
    }

    [Fact]
    public async Task A_single_site_packages_folder_is_used_when_the_runtime_names_no_python()
    {
        Publish("deps", Ready, "python/lib/python3.99/site-packages/a");

        var run = await RunAsync("dash", Environment("deps=s3://b/d.zip"));

        Assert.Equal($"{Root}/deps/python/lib/python3.99/site-packages:{Root}/deps/python", run.Variable("PYTHONPATH"));
    }

    [Theory]
    [MemberData(nameof(ShellNames))]
    public async Task For_Node_the_ES_module_hook_goes_first_in_NODE_OPTIONS_and_the_users_options_stay(string shell)
    {
        Publish("deps", Ready, "nodejs/node_modules/a", "nodejs/node20/node_modules/b", "nodejs/node22/node_modules/c");
        var hook = Path.Join(RepositoryRoot.Path, "layer", "opt", "extension-cache", "node-resolve.mjs");
        var deps = Path.Join(Root, "deps");

        var run = await RunAsync(shell, Environment("deps=s3://b/d.zip", ("AWS_EXECUTION_ENV", "AWS_Lambda_nodejs20.x"), ("NODE_OPTIONS", "--max-old-space-size=100 --enable-source-maps")));

        Assert.Equal($"--import=\"{hook}\" --max-old-space-size=100 --enable-source-maps", run.Variable("NODE_OPTIONS"));
        Assert.Equal($"{deps}/nodejs/node20/node_modules:{deps}/nodejs/node_modules", run.Variable("EXTENSION_CACHE_NODE_MODULES"));
        Assert.Equal($"{deps}/nodejs/node20/node_modules:{deps}/nodejs/node_modules", run.Variable("NODE_PATH"));
    }

    [Theory]
    [InlineData("AWS_Lambda_nodejs24.x", "node", true)]
    [InlineData(null, "node", true)]
    [InlineData("AWS_Lambda_provided.al2023", "node", true)]
    [InlineData("AWS_Lambda_python3.12", "node", false)]
    [InlineData("AWS_Lambda_nodejs18.x", "node", false)]
    [InlineData(null, "python3.12", false)]
    public async Task The_hook_is_for_a_Node_runtime_named_by_AWS_EXECUTION_ENV_or_else_by_the_command(string? executionEnvironment, string command, bool hook)
    {
        Publish("deps", Ready, "nodejs/node_modules/a");
        var bin = _temp.Combine("bin");
        Directory.CreateDirectory(bin);
        File.CreateSymbolicLink(Path.Join(bin, command), "/usr/bin/env");
        (string, string)[] extra = executionEnvironment is null ? [] : [("AWS_EXECUTION_ENV", executionEnvironment)];

        var run = await RunAsync("dash", Environment("deps=s3://b/d.zip", extra), Path.Join(bin, command));

        Assert.Equal($"{Root}/deps/nodejs/node_modules", run.Variable("NODE_PATH"));
        Assert.Equal(hook, run.Variable("NODE_OPTIONS") is { } options && options.StartsWith("--import=", StringComparison.Ordinal));
        Assert.Equal(hook, run.Variable("EXTENSION_CACHE_NODE_MODULES") is not null);
    }

    [Fact]
    public async Task Runtimes_other_than_Node_get_NODE_PATH_but_no_hook_and_a_wrapper_run_twice_adds_nothing_twice()
    {
        Publish("deps", Ready, "nodejs/node_modules/a", "bin");
        var python = await RunAsync("dash", Environment("deps=s3://b/d.zip", ("AWS_EXECUTION_ENV", "AWS_Lambda_python3.12")));
        Assert.Equal($"{Root}/deps/nodejs/node_modules", python.Variable("NODE_PATH"));
        Assert.Null(python.Variable("NODE_OPTIONS"));
        Assert.Null(python.Variable("EXTENSION_CACHE_NODE_MODULES"));

        // Another wrapper may start this one: what is there already is not added again.
        var twice = await RunAsync("dash", Environment("deps=s3://b/d.zip", ("AWS_EXECUTION_ENV", "AWS_Lambda_nodejs22.x")), "dash", WrapperScript.FilePath, "/usr/bin/env");
        Assert.Equal($"{Root}/deps/nodejs/node_modules", twice.Variable("NODE_PATH"));
        Assert.Equal($"/usr/bin:/bin:{Root}/deps/bin", twice.Variable("PATH"));
        Assert.Equal(1, twice.Variable("NODE_OPTIONS")!.Split("--import=").Length - 1);
        Assert.Equal(2, twice.Stderr.Length);
    }

    [Theory]
    [MemberData(nameof(Roots), MemberType = typeof(ExecWrapperScriptTests))]
    public async Task The_root_is_resolved_or_refused_as_the_extension_resolves_it(string? rootValue, string? tempValue, string? root, string? refusal)
    {
        var variables = new Dictionary<string, string> { ["EXTENSION_CACHE_BUNDLES"] = "deps=file:///opt/b.zip", ["PATH"] = "/usr/bin:/bin" };
        if (rootValue is not null)
        {
            variables["EXTENSION_CACHE_ROOT"] = rootValue;
        }

        if (tempValue is not null)
        {
            variables["TMPDIR"] = tempValue;
        }

        var run = await WrapperScript.RunAsync("dash", variables);

        Assert.Equal(0, run.ExitCode);
        if (refusal is null)
        {
            Assert.Equal(root, run.Field("root"));
            Assert.Equal(root, CacheOptions.FromEnvironment(variables.GetValueOrDefault).Root);
        }
        else
        {
            Assert.StartsWith("[extension-cache] wrapper added nothing reason=", run.LogLine, StringComparison.Ordinal);
            Assert.Contains(refusal[..refusal.IndexOf(';', StringComparison.Ordinal)], run.LogLine, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(ShellNames))]
    public async Task In_overlap_mode_it_waits_for_a_status_written_later_and_then_adds_the_bundle(string shell)
    {
        var publisher = new Publisher(Root);
        var variables = Environment("deps=s3://b/d.zip", ("EXTENSION_CACHE_MODE", "Overlap"));
        var running = RunAsync(shell, variables);
        // Published while the wrapper waits: nothing is there when it starts.
        await Task.Delay(400);
        Assert.False(running.IsCompleted, "the wrapper must not start the runtime before the status exists");
        Publish("deps", Ready, "bin");

        var run = await running;

        Assert.Equal($"/usr/bin:/bin:{Root}/deps/bin", run.Variable("PATH"));
        Assert.InRange(int.Parse(run.Field("waitedMs"), System.Globalization.CultureInfo.InvariantCulture), 10, 60_000);
        Assert.True(File.Exists(publisher.StatusPath("deps")));
    }

    [Fact]
    public async Task In_overlap_mode_a_failed_status_ends_the_wait_too()
    {
        var running = RunAsync("dash", Environment("ok=s3://b/o.zip;bad=s3://b/b.zip", ("EXTENSION_CACHE_MODE", "overlap")));
        Publish("ok", Ready, "bin");
        await Task.Delay(200);
        Assert.False(running.IsCompleted, "one status is still missing");
        new Publisher(Root).WriteStatus(new BundleStatus("bad", BundleStatus.Failed, null, false, "Extension.BundleNotFound", "no such key"));

        var run = await running;

        Assert.Equal("ok:bin", run.Field("added"));
        Assert.Equal("bad:failed", run.Field("skipped"));
    }

    [Fact]
    public async Task In_overlap_mode_it_waits_past_the_on_demand_INIT_limit_as_long_as_no_status_is_written()
    {
        // The extension keeps fetching past 10 s (a retried INIT runs under the function timeout, which nothing in the
        // sandbox can read), so the wrapper must not give up at the INIT limit and start the runtime without a bundle.
        var running = RunAsync("dash", Environment("deps=s3://b/d.zip", ("EXTENSION_CACHE_MODE", "overlap"), ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")));
        var late = Stopwatch.StartNew();
        while (late.Elapsed < TimeSpan.FromSeconds(11))
        {
            await Task.Delay(250);
            Assert.False(running.IsCompleted, $"the wrapper started the runtime after {late.Elapsed} without a status");
        }

        Publish("deps", Ready, "bin");
        var run = await running;

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("deps:bin", run.Field("added"));
        Assert.True(int.Parse(run.Field("waitedMs"), System.Globalization.CultureInfo.InvariantCulture) >= 11_000, run.LogLine);
    }

    [Fact]
    public async Task In_before_register_mode_it_never_waits()
    {
        var run = await RunAsync("dash", Environment("deps=s3://b/d.zip"));

        Assert.Equal("deps:no-status", run.Field("skipped"));
        Assert.Equal("0", run.Field("waitedMs"));
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(30), $"took {run.Elapsed}");
    }

    [Theory]
    [MemberData(nameof(ShellNames))]
    public async Task It_execs_the_runtime_command_with_its_arguments_verbatim_and_its_exit_status(string shell)
    {
        Publish("deps", Ready, "bin");

        var run = await RunAsync(shell, Environment("deps=s3://b/d.zip"),
            "/bin/sh", "-c", "printf '<%s>' \"$@\"; echo; echo pid=$$; exit 7", "sh", "two words", "", "*", "--flag=\"q\"");

        Assert.Equal(7, run.ExitCode);
        Assert.Equal("<two words><><*><--flag=\"q\">", run.Stdout[0]);
        Assert.Equal($"pid={run.Pid}", run.Stdout[1]);
    }

    [Fact]
    public async Task Without_a_bundle_list_or_a_command_it_says_so()
    {
        var nothing = await RunAsync("dash", new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" });
        Assert.Equal(0, nothing.ExitCode);
        Assert.Equal("[extension-cache] wrapper added nothing reason=\"EXTENSION_CACHE_BUNDLES names no bundle\"", nothing.LogLine);
        Assert.Equal("/usr/bin:/bin", nothing.Variable("PATH"));

        var info = new ProcessStartInfo("dash", [WrapperScript.FilePath]) { RedirectStandardError = true, UseShellExecute = false };
        using var noCommand = Process.Start(info)!;
        var error = await noCommand.StandardError.ReadToEndAsync();
        await noCommand.WaitForExitAsync();
        Assert.Equal(127, noCommand.ExitCode);
        Assert.Contains("wrapper: no runtime command to run", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_log_line_is_JSON_with_AWS_LAMBDA_LOG_FORMAT_JSON_and_follows_the_log_level()
    {
        Publish("deps", Ready, "bin");
        Publish("bad", BundleStatus.Failed);

        var json = await RunAsync("dash", Environment("deps=s3://b/d.zip;bad=s3://b/b.zip", ("AWS_LAMBDA_LOG_FORMAT", "JSON")));
        using (var line = JsonDocument.Parse(json.LogLine))
        {
            var log = line.RootElement;
            Assert.Equal("WARN", log.GetProperty("level").GetString());
            Assert.Equal("wrapper attached", log.GetProperty("message").GetString());
            Assert.Equal("extension-cache", log.GetProperty("logger").GetString());
            Assert.Equal("deps:bin", log.GetProperty("added").GetString());
            Assert.Equal("bad:failed", log.GetProperty("skipped").GetString());
            Assert.Equal(0, log.GetProperty("waitedMs").GetInt32());
            Assert.Equal(Root, log.GetProperty("root").GetString());
            Assert.True(DateTimeOffset.TryParse(log.GetProperty("timestamp").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _));
        }

        var errorsOnly = await RunAsync("dash", Environment("deps=s3://b/d.zip;bad=s3://b/b.zip", ("AWS_LAMBDA_LOG_LEVEL", "ERROR")));
        Assert.Empty(errorsOnly.Stderr);
        var warnOnlyClean = await RunAsync("dash", Environment("deps=s3://b/d.zip", ("EXTENSION_CACHE_LOG_LEVEL", "warn"), ("AWS_LAMBDA_LOG_LEVEL", "DEBUG")));
        Assert.Empty(warnOnlyClean.Stderr);
        var warnOnlySkipped = await RunAsync("dash", Environment("deps=s3://b/d.zip;bad=s3://b/b.zip", ("EXTENSION_CACHE_LOG_LEVEL", "WARN")));
        Assert.Single(warnOnlySkipped.Stderr);
    }

    public static TheoryData<string> ShellNames => new(WrapperScript.Shells);

    public static TheoryData<string?, string?, string?, string?> Roots => SharedRuleTests.Roots;

    private static readonly string Ready = BundleStatus.Ready;

    /// <summary>Publishes <paramref name="name"/> as the extension leaves it: a version folder with the given
    /// subfolders under .store, the link <c>&lt;root&gt;/&lt;name&gt;</c>, and the status through its Publisher.</summary>
    private void Publish(string name, string status, params string[] folders)
    {
        var layout = new CacheLayout(Root);
        var version = layout.VersionPath(name, "0123456789abcdef");
        Directory.CreateDirectory(version);
        foreach (var folder in folders)
        {
            Directory.CreateDirectory(Path.Join(version, folder));
        }

        File.CreateSymbolicLink(layout.BundlePath(name), CacheLayout.LinkTarget(name, "0123456789abcdef"));
        new Publisher(Root).WriteStatus(status == BundleStatus.Failed
            ? new BundleStatus(name, status, null, false, "Extension.BundleNotFound", "no such key")
            : new BundleStatus(name, status, Path.Join(Root, name), false, null, null, "v1", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow));
    }

    private Dictionary<string, string> Environment(string bundles, params (string Key, string Value)[] extra)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = "/usr/bin:/bin",
            ["EXTENSION_CACHE_ROOT"] = Root,
            ["EXTENSION_CACHE_BUNDLES"] = bundles,
        };
        foreach (var (key, value) in extra)
        {
            variables[key] = value;
        }

        return variables;
    }

    private static Task<WrapperRun> RunAsync(string shell, IReadOnlyDictionary<string, string> variables, params string[] command) =>
        WrapperScript.RunAsync(shell, variables, command);
}
