using System.Diagnostics;
using Xunit.Abstractions;

namespace ExtensionCache.IntegrationTests.Infrastructure;

/// <summary>Runs <c>dotnet LambdaEmulator.dll</c> in one-shot mode and collects what it printed.</summary>
public sealed class EmulatorRunner(RepositoryLayout layout, ITestOutputHelper output)
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(90);

    public async Task<EmulatorResult> RunAsync(EmulatorRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var startInfo = new ProcessStartInfo("dotnet") { WorkingDirectory = layout.Root };
        var args = startInfo.ArgumentList;
        args.Add(layout.EmulatorDll);
        foreach (var layer in request.Layers)
        {
            args.Add("--layer");
            args.Add(layer);
        }

        args.Add("--function");
        args.Add(request.Function);
        args.Add("--tmp");
        args.Add(request.TmpDirectory);
        // The invokes take milliseconds; a generous function timeout keeps a loaded CI machine from failing them.
        args.Add("--timeout");
        args.Add("10");
        foreach (var (key, value) in request.Environment)
        {
            args.Add("--env");
            args.Add($"{key}={value}");
        }

        foreach (var payload in request.Invokes)
        {
            args.Add("--invoke");
            args.Add(payload);
        }

        if (request.Isolate)
        {
            args.Add("--isolate");
        }

        if (request.RuntimeCommand.Count > 0)
        {
            args.Add("--");
            foreach (var part in request.RuntimeCommand)
            {
                args.Add(part);
            }
        }

        output.WriteLine($"$ dotnet {string.Join(' ', args)}");
        var result = await ProcessRunner.RunAsync(startInfo, RunTimeout, output.WriteLine);
        output.WriteLine($"(exit {result.ExitCode} after {result.Elapsed.TotalMilliseconds:0} ms)");
        return new EmulatorResult(result);
    }
}
