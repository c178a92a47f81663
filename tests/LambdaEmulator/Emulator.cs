using LambdaEmulator.Api;
using LambdaEmulator.Cli;
using LambdaEmulator.Invoke;
using LambdaEmulator.Lifecycle;
using LambdaEmulator.Logs;
using LambdaEmulator.Sandbox;
using LambdaEmulator.Telemetry;

namespace LambdaEmulator;

/// <summary>One run of the emulator: one execution environment, in one-shot or serve mode.</summary>
public sealed class Emulator(EmulatorOptions options, TextWriter stdout, TextWriter stderr, TimeProvider time)
{
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        using var telemetry = new TelemetryHub(time, stderr);
        var log = new LambdaLog(stdout, stderr, telemetry, time);
        var payloads = new List<string>();
        foreach (var invoke in options.Invokes)
        {
            payloads.Add(invoke.StartsWith('@') ? await File.ReadAllTextAsync(invoke[1..], cancellationToken).ConfigureAwait(false) : invoke);
        }

        using var environment = ExecutionEnvironment.Create(options);
        log.Debug($"execution environment in {environment.Root} (tmp {environment.Tmp}){(options.Isolate ? " under bubblewrap" : "")}");
        var lifecycle = new LifecycleController(options, environment, log, telemetry, time);
        await using var api = await ApiServer.StartAsync(lifecycle, telemetry, log, cancellationToken).ConfigureAwait(false);
        lifecycle.RuntimeApi = api.Address;
        log.Debug($"AWS_LAMBDA_RUNTIME_API={api.Address}");
        try
        {
            var succeeded = await lifecycle.InitAsync("init", time.GetUtcNow() + options.InitTimeout, cancellationToken).ConfigureAwait(false);
            if (options.OneShot)
            {
                // All at once: the lifecycle takes --concurrency of them at a time, in the given order.
                var outcomes = await Task.WhenAll(payloads.Select(p => lifecycle.InvokeAsync(p, o => log.Result(ResultLine.For(o)), cancellationToken)))
                    .ConfigureAwait(false);
                return succeeded && outcomes.All(o => !o.IsError) ? 0 : 1;
            }

            await using var invokes = await InvokeServer.StartAsync(options.Port, lifecycle, log, cancellationToken).ConfigureAwait(false);
            log.Debug($"serving invokes on http://127.0.0.1:{invokes.Port}/2015-03-31/functions/function/invocations");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                log.Debug("stopping");
            }

            return 0;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            log.Debug("interrupted");
            return 130;
        }
        finally
        {
            await lifecycle.ShutdownAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }
}
