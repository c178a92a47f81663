using System.CommandLine;
using LambdaEmulator;
using LambdaEmulator.Cli;

var emulatorCommand = new EmulatorCommand();
var command = emulatorCommand.Build((options, cancellationToken) =>
    new Emulator(options, Console.Out, Console.Error, TimeProvider.System).RunAsync(cancellationToken));

// "--invoke @FILE" is ours: no response-file expansion of @ tokens.
var parsed = command.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });

// A usage error (unknown option, malformed value) exits with 2, the convention of command-line tools.
if (emulatorCommand.UsageErrors(parsed) is { Count: > 0 } errors)
{
    foreach (var error in errors)
    {
        Console.Error.WriteLine($"LambdaEmulator: {error}");
    }

    Console.Error.WriteLine("Usage: LambdaEmulator [options] [-- <bootstrap command and args>]; see --help.");
    return 2;
}

// SHUTDOWN gives the sandbox up to 2 s after Ctrl-C/SIGTERM; leave room for it.
return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(10) });
