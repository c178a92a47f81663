using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Lambda;
using ExtensionCache.Extension.Lifecycle;
using ExtensionCache.Extension.Logging;
using ExtensionCache.Extension.Sources;

// Two flags do not justify a command-line library: it would cost start-up time in every INIT.
var mainTimestamp = Stopwatch.GetTimestamp();
var version = typeof(ExtensionHost).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

switch (args)
{
    case ["--help"] or ["-h"]:
        Console.Out.WriteLine(HelpText.For(version));
        return ExitCodes.Success;
    case ["--version"]:
        Console.Out.WriteLine(version);
        return ExitCodes.Success;
    case [_, ..]:
        await Console.Error.WriteLineAsync($"extension-cache: unknown argument '{args[0]}'; try --help").ConfigureAwait(false);
        return ExitCodes.Usage;
}

Func<string, string?> environment = Environment.GetEnvironmentVariable;
var log = LifecycleLog.FromEnvironment(Console.Out, environment);

var runtimeApi = environment("AWS_LAMBDA_RUNTIME_API");
if (string.IsNullOrWhiteSpace(runtimeApi))
{
    log.Error("AWS_LAMBDA_RUNTIME_API is not set: extension-cache runs as a Lambda extension (see --help)");
    return ExitCodes.Usage;
}

// The name Lambda knows us by is the file name under /opt/extensions.
var extensionName = Path.GetFileName(Environment.ProcessPath) is { Length: > 0 } fileName ? fileName : "extension-cache";

using var stopping = new CancellationTokenSource();
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stopping.Cancel();
}

using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);

using var api = new ExtensionsApiClient(runtimeApi);
var sandbox = new SandboxClock(TimeProvider.System);
var host = new ExtensionHost(extensionName, version, api, log, new StartupClock(mainTimestamp), sandbox, TimeProvider.System);

CacheOptions options;
try
{
    options = CacheOptions.FromEnvironment(environment);
}
catch (CacheOptionsException e)
{
    return await host.FailConfigurationAsync(e.Errors, stopping.Token).ConfigureAwait(false);
}

using var work = new BundleCacheWork(options, log, environment, sandbox, TimeProvider.System);
return await host.RunAsync(options, work, stopping.Token).ConfigureAwait(false);
