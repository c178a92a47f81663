using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using ExtensionCache.IntegrationTests.Fixtures;
using ExtensionCache.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace ExtensionCache.IntegrationTests.EndToEnd;

/// <summary>
/// Attach and go: the layer, AWS_LAMBDA_EXEC_WRAPPER=/opt/extension-cache-wrapper and EXTENSION_CACHE_BUNDLES, and
/// Python and Node handlers with no path code at all import from a bundle laid out like a layer, run its bin/ tool
/// and load its lib/ library by name. Under --isolate (real /opt, /var/task, /tmp), with the stand-in managed
/// runtimes of ManagedRuntimes/ (the emulator's --runtime makes them managed: they start through the wrapper).
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed partial class AttachWrapperTests(LayerFixture layer, S3ServerFixture s3, ITestOutputHelper output)
    : EndToEndTestBase(layer, s3, output)
{
    private const string Wrapper = "/opt/extension-cache-wrapper";
    private const string Root = "/tmp/extension-cache";

    // In overlap mode the bundle comes through a proxy at 512 KiB/s with 1.5 MiB of incompressible padding: it cannot
    // be published sooner than ~3 s after the extension registers, while the runtime starts right after the
    // registration; so the wrapper has to wait, and its logged wait says it did.
    private const int OverlapPaddingBytes = 1536 * 1024;
    private const long OverlapBytesPerSecond = 512 * 1024;

    private static string PythonVersion => ManagedRuntime.PythonVersion;

    private static string NodeFolder => $"nodejs/node{ManagedRuntime.NodeMajor}/node_modules";

    [Fact]
    public async Task A_Python_handler_that_is_nothing_but_an_import_runs_from_the_bundle()
    {
        var run = await RunAsync(ManagedRuntime.Python, "minimal.handler", $"deps={await UploadDepsAsync(padding: false)}");

        Assert.True(run.ExitCode == 0, $"emulator exit code {run.ExitCode}");
        Assert.Equal("hello from attached_site", Assert.Single(run.Responses).GetString());
    }

    [Theory]
    [InlineData("before-register")]
    [InlineData("overlap")]
    public async Task A_Python_handler_imports_from_python_and_site_packages_and_runs_the_tool_and_library_by_name(string mode)
    {
        var overlap = mode == "overlap";
        var uri = await UploadDepsAsync(padding: overlap);
        await using var proxy = overlap ? ThrottlingTcpProxy.Start(new Uri(S3.ExtensionEnvironment["AWS_ENDPOINT_URL_S3"]), OverlapBytesPerSecond) : null;

        var run = await RunAsync(ManagedRuntime.Python, "app.handler", $"deps={uri}", Mode(mode, proxy));

        Assert.True(run.ExitCode == 0, $"emulator exit code {run.ExitCode}");
        var answer = Assert.Single(run.Responses);
        // The stable published name, not a version folder: a refresh is seen by every later import.
        Assert.Equal($"{Root}/deps/python/lib/python{PythonVersion}/site-packages/attached_site/__init__.py", answer.GetProperty("site").GetString());
        Assert.Equal($"{Root}/deps/python/attached_top.py", answer.GetProperty("top").GetString());
        Assert.Equal("attached-tool from bin", answer.GetProperty("tool").GetString());
        Assert.Equal(42, answer.GetProperty("answer").GetInt32());

        var attached = WrapperLine(run);
        Assert.Equal($"deps:python/lib/python{PythonVersion}/site-packages,python,{NodeFolder},nodejs/node_modules,bin,lib", attached.Added);
        Assert.Equal("-", attached.Skipped);
        if (overlap)
        {
            Assert.True(attached.WaitedMs >= 1000, $"the wrapper waited {attached.WaitedMs} ms for a bundle that takes seconds to arrive");
            Assert.True(run.Lines.ToList().FindIndex(l => l.StartsWith("[extension-cache] registered", StringComparison.Ordinal))
                < run.Lines.ToList().FindIndex(l => l.StartsWith("[extension-cache] published", StringComparison.Ordinal)), "overlap: registered before published");
        }
        else
        {
            Assert.Equal(0, attached.WaitedMs);
        }
    }

    [Theory]
    [InlineData("cjs", "before-register")]
    [InlineData("esm", "before-register")]
    [InlineData("cjs", "overlap")]
    [InlineData("esm", "overlap")]
    public async Task A_Node_handler_requires_or_imports_from_the_bundle_and_runs_the_tool_by_name(string kind, string mode)
    {
        var run = await RunAsync(ManagedRuntime.Node, $"{kind}.handler", $"deps={await UploadDepsAsync(padding: false)}", ("EXTENSION_CACHE_MODE", mode));

        Assert.True(run.ExitCode == 0, $"emulator exit code {run.ExitCode}");
        var answer = Assert.Single(run.Responses);
        Assert.Equal("hello from attached-greeter", answer.GetProperty("greeting").GetString());
        // Node resolves links: the file is in the published version's folder under the root.
        Assert.StartsWith($"{Root}/", answer.GetProperty("greeter").GetString(), StringComparison.Ordinal);
        Assert.EndsWith("/nodejs/node_modules/attached-greeter/index.js", answer.GetProperty("greeter").GetString(), StringComparison.Ordinal);
        Assert.EndsWith($"/{NodeFolder}/attached-versioned/index.js", answer.GetProperty("versioned").GetString(), StringComparison.Ordinal);
        Assert.Equal("attached-tool from bin", answer.GetProperty("tool").GetString());
        var attached = WrapperLine(run);
        Assert.Equal($"deps:python/lib/python{PythonVersion}/site-packages,python,{NodeFolder},nodejs/node_modules,bin,lib;esm-hook", attached.Added);
    }

    [Fact]
    public async Task A_failed_bundle_adds_nothing_the_runtime_still_starts_and_its_import_fails_cleanly()
    {
        var uri = await UploadDepsAsync(padding: false);
        var missing = $"s3://{S3ServerFixture.Bucket}/attach/{Guid.NewGuid():N}/missing.zip";

        var run = await RunAsync(
            ManagedRuntime.Python, "failed.handler", $"deps={uri};broken={missing}", ("EXTENSION_CACHE_ON_ERROR", "continue"), ("EXTENSION_CACHE_MODE", "overlap"));

        Assert.True(run.ExitCode == 0, $"emulator exit code {run.ExitCode}");
        var answer = Assert.Single(run.Responses);
        Assert.Equal($"{Root}/deps/python/lib/python{PythonVersion}/site-packages/attached_site/__init__.py", answer.GetProperty("site").GetString());
        Assert.Equal("No module named 'broken_pkg'", answer.GetProperty("broken").GetString());
        var attached = WrapperLine(run);
        Assert.Equal("broken:failed", attached.Skipped);
        Assert.StartsWith("deps:", attached.Added, StringComparison.Ordinal);
        Assert.DoesNotContain("broken", attached.Added, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("first", "second")]
    [InlineData("second", "first")]
    public async Task Two_bundles_come_in_the_order_of_the_bundle_list_and_before_the_layers(string before, string after)
    {
        // Both bundles and a layer have shadowed.py and shadowed-tool; each also has a module of its own.
        var zips = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in new[] { "first", "second" })
        {
            var bundle = new LayerLikeBundle()
                .Text("python/shadowed.py", $"WHERE = \"{name}\"\n")
                .Text($"python/{name}_only.py", "\n")
                .Tool("shadowed-tool", $"tool of {name}");
            zips[name] = await S3.UploadAsync($"attach/{Guid.NewGuid():N}/{name}.zip", bundle.Zip(Work.Combine($"{name}.zip")));
        }

        var layerFolder = Work.Combine("python-layer");
        Directory.CreateDirectory(Path.Combine(layerFolder, "python"));
        File.WriteAllText(Path.Combine(layerFolder, "python", "shadowed.py"), "WHERE = \"layer\"\n");
        File.WriteAllText(Path.Combine(layerFolder, "python", "layer_only.py"), "\n");

        var run = await RunAsync(ManagedRuntime.Python, "order.handler", $"{before}={zips[before]};{after}={zips[after]}", [layerFolder]);

        Assert.True(run.ExitCode == 0, $"emulator exit code {run.ExitCode}");
        var answer = Assert.Single(run.Responses);
        Assert.Equal(before, answer.GetProperty("shadowed").GetString());
        Assert.Equal($"tool of {before}", answer.GetProperty("tool").GetString());
        Assert.Equal($"{Root}/second/python/second_only.py", answer.GetProperty("secondOnly").GetString());
        // Setting PYTHONPATH keeps the layers' /opt/python (Lambda's bootstrap adds it only while PYTHONPATH is unset).
        Assert.Equal("/opt/python/layer_only.py", answer.GetProperty("layerOnly").GetString());
        Assert.Equal($"{before}:python,bin;{after}:python,bin", WrapperLine(run).Added);
    }

    private static (string Key, string Value)[] Mode(string mode, ThrottlingTcpProxy? proxy) =>
        proxy is null
            ? [("EXTENSION_CACHE_MODE", mode)]
            : [("EXTENSION_CACHE_MODE", mode), ("AWS_ENDPOINT_URL_S3", proxy.Url.ToString().TrimEnd('/'))];

    /// <summary>
    /// The "deps" bundle: a site-packages package and a python/ module, CommonJS packages in nodejs/node_modules and
    /// in the node version's nodejs/nodeN/node_modules, a tool in bin/, a shared library in lib/.
    /// </summary>
    private async Task<string> UploadDepsAsync(bool padding)
    {
        var bundle = new LayerLikeBundle()
            .SitePackage(PythonVersion, "attached_site")
            .Text("python/attached_top.py", "\n")
            .NodePackage("nodejs/node_modules", "attached-greeter")
            .NodePackage(NodeFolder, "attached-versioned")
            .Tool("attached-tool", "attached-tool from bin")
            .SharedLibrary("libattached.so", "int attached_answer(void) { return 42; }\n", Work.Path);
        if (padding)
        {
            bundle.Bytes("data/padding.bin", RandomNumberGenerator.GetBytes(OverlapPaddingBytes));
        }

        return await S3.UploadAsync($"attach/{Guid.NewGuid():N}/deps.zip", bundle.Zip(Work.Combine($"deps-{Guid.NewGuid():N}.zip")));
    }

    private Task<EmulatorResult> RunAsync(ManagedRuntime runtime, string handler, string bundles, params (string Key, string Value)[] extra) =>
        RunAsync(runtime, handler, bundles, [], extra);

    private Task<EmulatorResult> RunAsync(
        ManagedRuntime runtime, string handler, string bundles, IReadOnlyList<string> moreLayers, params (string Key, string Value)[] extra) =>
        Emulator.RunAsync(new EmulatorRequest
        {
            Layers = [Layer.LayerZip, .. moreLayers],
            Function = runtime.Functions,
            Handler = handler,
            TmpDirectory = NewTmp($"env-{Guid.NewGuid():N}"),
            Environment = BundleEnvironment(bundles, [("AWS_LAMBDA_EXEC_WRAPPER", Wrapper), .. extra]),
            Isolate = true,
            Runtime = runtime.Identifier,
            RuntimeCommand = runtime.Command,
        });

    /// <summary>The wrapper's one log line, parsed.</summary>
    private static AttachedLine WrapperLine(EmulatorResult run)
    {
        var line = Assert.Single(run.Lines, l => l.StartsWith("[extension-cache] wrapper ", StringComparison.Ordinal));
        var match = AttachedPattern().Match(line);
        Assert.True(match.Success, line);
        return new AttachedLine(
            match.Groups["added"].Value,
            match.Groups["skipped"].Value,
            int.Parse(match.Groups["waited"].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex($@"^\[extension-cache\] wrapper attached added=(?<added>\S+) skipped=(?<skipped>\S+) waitedMs=(?<waited>\d+) root={Root}$")]
    private static partial Regex AttachedPattern();

    private sealed record AttachedLine(string Added, string Skipped, int WaitedMs);
}
