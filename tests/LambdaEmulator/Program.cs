using System.CommandLine;
using LambdaEmulator;
using LambdaEmulator.Cli;

var command = new EmulatorCommand().Build((options, cancellationToken) =>
    new Emulator(options, Console.Out, Console.Error, TimeProvider.System).RunAsync(cancellationToken));

// SHUTDOWN gives the sandbox up to 2 s after Ctrl-C/SIGTERM; leave room for it.
return await command.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(10) });
