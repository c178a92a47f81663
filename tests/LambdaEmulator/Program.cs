using System.CommandLine;
using LambdaEmulator;
using LambdaEmulator.Cli;

var command = new EmulatorCommand().Build((options, cancellationToken) =>
    new Emulator(options, Console.Out, Console.Error, TimeProvider.System).RunAsync(cancellationToken));

// "--invoke @FILE" is ours: no response-file expansion of @ tokens.
var parsed = command.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });

// SHUTDOWN gives the sandbox up to 2 s after Ctrl-C/SIGTERM; leave room for it.
return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(10) });
