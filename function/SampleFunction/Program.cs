using System.Runtime.InteropServices;
using ExtensionCache.Client;
using SampleFunction;
using SampleFunction.Runtime;

var runtimeApi = Environment.GetEnvironmentVariable("AWS_LAMBDA_RUNTIME_API");
if (string.IsNullOrEmpty(runtimeApi))
{
    await Console.Error.WriteLineAsync("AWS_LAMBDA_RUNTIME_API is not set: run this under Lambda or the LambdaEmulator.");
    return 2;
}

using var stopping = new CancellationTokenSource();
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stopping.Cancel();
});

using var client = new RuntimeApiClient(runtimeApi);
var loop = new RuntimeLoop(client, Console.Out);
try
{
    return await loop.RunAsync(
        async token => await Handler.CreateAsync(ExtensionCacheClient.FromEnvironment(), token),
        stopping.Token);
}
catch (OperationCanceledException) when (stopping.IsCancellationRequested)
{
    return 0;
}
