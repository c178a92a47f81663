using System.Diagnostics;
using System.Text.Json;

namespace ExtensionCache.Tests.Wrapper;

/// <summary>
/// The synchronous resolve hook of layer/opt/extension-cache/node-resolve-hooks.mjs (what module.registerHooks runs
/// on Node.js 22.15+), driven by Node's own resolver (<c>import.meta.resolve(specifier, parent)</c>) as the next hook.
/// The module.register path (Node.js 20) runs end to end in AttachWrapperTests.
/// </summary>
public sealed class NodeResolveHookTests : IDisposable
{
    private readonly TempDirectory _temp = new("node-hook");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Only_bare_specifiers_Node_cannot_find_are_looked_up_in_the_bundle_folders_in_order()
    {
        Package("a/nodejs/node_modules", "shared");
        Package("b/nodejs/node_modules", "shared");
        Package("b/nodejs/node_modules", "only-b");
        Package("fn/node_modules", "local");
        var hooks = Path.Join(RepositoryRoot.Path, "layer", "opt", "extension-cache", "node-resolve-hooks.mjs");
        var script = _temp.Combine("fn", "probe.mjs");
        File.WriteAllText(script, $$"""
            import { resolveSync } from {{JsonSerializer.Serialize(new Uri(hooks).AbsoluteUri)}};
            const resolve = resolveSync([{{JsonSerializer.Serialize(_temp.Combine("a/nodejs/node_modules"))}}, {{JsonSerializer.Serialize(_temp.Combine("b/nodejs/node_modules"))}}]);
            const context = { parentURL: import.meta.url, conditions: ['node', 'import'] };
            let calls = 0;
            const node = (specifier, ctx) => { calls++; return { url: import.meta.resolve(specifier, ctx.parentURL) }; };
            const out = {};
            for (const specifier of ['shared', 'only-b', 'local', 'node:fs']) {
              calls = 0;
              out[specifier] = { url: resolve(specifier, context, node).url, calls };
            }
            try { resolve('missing', context, node); } catch (error) { out.missing = { code: error.code, message: error.message.split('\n')[0] }; }
            calls = 0;
            const other = Object.assign(new Error('bad'), { code: 'ERR_INVALID_MODULE_SPECIFIER' });
            try { resolve('shared', context, () => { calls++; throw other; }); } catch (error) { out.other = { code: error.code, calls }; }
            console.log(JSON.stringify(out));
            """);

        var info = new ProcessStartInfo("node", ["--experimental-import-meta-resolve", "--no-warnings", script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var stdout = await process.StandardOutput.ReadToEndAsync();
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, stderr);
        using var result = JsonDocument.Parse(stdout);
        var answers = result.RootElement;

        // The first folder wins; a package only a later folder has is found there; Node's own answers stay, at one call.
        Assert.Equal(new Uri(_temp.Combine("a/nodejs/node_modules/shared/index.js")).AbsoluteUri, answers.GetProperty("shared").GetProperty("url").GetString());
        Assert.Equal(2, answers.GetProperty("shared").GetProperty("calls").GetInt32());
        Assert.Equal(new Uri(_temp.Combine("b/nodejs/node_modules/only-b/index.js")).AbsoluteUri, answers.GetProperty("only-b").GetProperty("url").GetString());
        Assert.Equal(3, answers.GetProperty("only-b").GetProperty("calls").GetInt32());
        Assert.Equal(new Uri(_temp.Combine("fn/node_modules/local/index.js")).AbsoluteUri, answers.GetProperty("local").GetProperty("url").GetString());
        Assert.Equal(1, answers.GetProperty("local").GetProperty("calls").GetInt32());
        Assert.Equal("node:fs", answers.GetProperty("node:fs").GetProperty("url").GetString());
        // Not found anywhere: Node's own error, naming the importing file, not a bundle folder.
        Assert.Equal("ERR_MODULE_NOT_FOUND", answers.GetProperty("missing").GetProperty("code").GetString());
        Assert.Equal($"Cannot find package 'missing' imported from {script}", answers.GetProperty("missing").GetProperty("message").GetString());
        // Any other error passes through untouched.
        Assert.Equal("ERR_INVALID_MODULE_SPECIFIER", answers.GetProperty("other").GetProperty("code").GetString());
        Assert.Equal(1, answers.GetProperty("other").GetProperty("calls").GetInt32());
    }

    [Theory]
    [InlineData("app.mjs", null, "app.handler", "register")]
    [InlineData("lib/app.js", """{"type":"module"}""", "lib/app.handler", "register")]
    [InlineData("app.js", """{"type":"commonjs"}""", "app.handler", "none")]
    [InlineData("app.js", null, "app.handler", "none")]
    [InlineData("app.cjs", null, "app.handler", "none")]
    [InlineData("elsewhere.js", null, "app.handler", "register")]
    public async Task On_Node_20_the_hooks_thread_is_started_only_for_a_handler_that_may_be_an_ES_module(string file, string? packageJson, string handler, string expected)
    {
        var task = _temp.Combine("task");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.Join(task, file))!);
        File.WriteAllText(Path.Join(task, file), "\n");
        if (packageJson is not null)
        {
            File.WriteAllText(Path.Join(task, "package.json"), packageJson);
        }

        var probe = _temp.Combine("probe.cjs");
        File.WriteAllText(probe, "console.log(globalThis[Symbol.for('extension-cache.node-resolve')]);\n");
        var info = new ProcessStartInfo("node", [$"--import={Path.Join(RepositoryRoot.Path, "layer", "opt", "extension-cache", "node-resolve.mjs")}", probe])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["EXTENSION_CACHE_NODE_MODULES"] = _temp.Combine("bundle", "nodejs", "node_modules");
        info.Environment["LAMBDA_TASK_ROOT"] = task;
        info.Environment["_HANDLER"] = handler;
        using var process = Process.Start(info)!;
        var answer = (await process.StandardOutput.ReadToEndAsync()).Trim();
        await process.WaitForExitAsync();

        // With module.registerHooks (Node.js 22.15+) the in-thread hook is always registered; this machine's Node 20
        // has module.register only.
        Assert.Equal(await NodeHasRegisterHooksAsync() ? "registerHooks" : expected, answer);
    }

    private static async Task<bool> NodeHasRegisterHooksAsync()
    {
        using var process = Process.Start(new ProcessStartInfo("node", ["-p", "typeof require('node:module').registerHooks"]) { RedirectStandardOutput = true })!;
        var type = (await process.StandardOutput.ReadToEndAsync()).Trim();
        await process.WaitForExitAsync();
        return type == "function";
    }

    private void Package(string folder, string name)
    {
        var directory = _temp.Combine(folder, name);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Join(directory, "package.json"), $$"""{"name":"{{name}}","version":"1.0.0","main":"index.js"}""");
        File.WriteAllText(Path.Join(directory, "index.js"), "module.exports = {};\n");
    }
}
