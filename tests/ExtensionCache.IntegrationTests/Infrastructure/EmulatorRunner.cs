using System.Diagnostics;
using Xunit.Abstractions;

namespace ExtensionCache.IntegrationTests.Infrastructure;

/// <summary>Runs <c>dotnet LambdaEmulator.dll</c> in one-shot mode and collects what it printed.</summary>
public sealed class EmulatorRunner(RepositoryLayout layout, ITestOutputHelper output)
{
    public async Task<EmulatorResult> RunAsync(EmulatorRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var startInfo = new ProcessStartInfo("dotnet") { WorkingDirectory = layout.Root };
        var args = startInfo.ArgumentList;
        // INIT and the invokes take seconds at most; generous limits keep a busy machine from failing them.
        EmulatorArguments.AddSandbox(
            args, layout, request.Layers, request.Function, request.TmpDirectory, Generous.FunctionTimeoutSeconds, Generous.InitTimeoutSeconds, request.Environment);
        foreach (var payload in request.Invokes)
        {
            args.Add("--invoke");
            args.Add(payload);
        }

        if (request.Isolate)
        {
            args.Add("--isolate");
        }

        if (request.Handler is { } handler)
        {
            args.Add("--handler");
            args.Add(handler);
        }

        if (request.Runtime is { } runtime)
        {
            args.Add("--runtime");
            args.Add(runtime);
        }

        EmulatorArguments.AddRuntime(args, request.RuntimeCommand);

        output.WriteLine($"$ dotnet {string.Join(' ', args)}");
        var result = await ChildProcess.RunAsync(startInfo, Generous.Run, output.WriteLine);
        output.WriteLine($"(exit {result.ExitCode} after {result.Elapsed.TotalMilliseconds:0} ms)");
        return new EmulatorResult(result);
    }
}
