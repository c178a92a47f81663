using System.CommandLine;
using System.CommandLine.Parsing;

namespace LambdaEmulator.Cli;

/// <summary>The command line: option names and their meanings are a public contract (see README).</summary>
public sealed class EmulatorCommand
{
    private readonly Option<string[]> _layer = new("--layer")
    {
        HelpName = "PATH",
        Description = "Layer zip or folder, unpacked into the sandbox's /opt in the given order (repeatable).",
        Arity = ArgumentArity.ZeroOrMore,
    };

    private readonly Option<string?> _function = new("--function")
    {
        HelpName = "PATH",
        Description = "Function code (zip or folder), unpacked into the sandbox's /var/task (LAMBDA_TASK_ROOT).",
    };

    private readonly Option<string> _handler = new("--handler")
    {
        HelpName = "NAME",
        Description = "Handler name, given to the runtime as _HANDLER.",
        DefaultValueFactory = _ => "handler",
    };

    private readonly Option<string[]> _env = new("--env")
    {
        HelpName = "KEY=VALUE",
        Description = "Function environment variable KEY=VALUE (repeatable).",
        Arity = ArgumentArity.ZeroOrMore,
    };

    private readonly Option<string?> _tmp = new("--tmp")
    {
        HelpName = "DIR",
        Description = "Folder used as the sandbox's /tmp (default: a fresh folder per execution environment).",
    };

    private readonly Option<int> _memory = new("--memory")
    {
        HelpName = "MB",
        Description = "Memory size in MB (AWS_LAMBDA_FUNCTION_MEMORY_SIZE, REPORT Memory Size).",
        DefaultValueFactory = _ => 128,
    };

    private readonly Option<double> _timeout = new("--timeout")
    {
        HelpName = "SECONDS",
        Description = "Function timeout in seconds.",
        DefaultValueFactory = _ => 3,
    };

    private readonly Option<double?> _initTimeout = new("--init-timeout")
    {
        HelpName = "SECONDS",
        Description = "INIT phase timeout in seconds (default 10; with --managed-instances or --snapstart max(130, --timeout)).",
    };

    private readonly Option<string[]> _invoke = new("--invoke")
    {
        HelpName = "PAYLOAD|@FILE",
        Description = "One-shot mode: invoke with this payload, or @FILE to read it from a file (repeatable, run in order), then SHUTDOWN and exit. Exit status 0 only if INIT and every invoke succeeded.",
        Arity = ArgumentArity.ZeroOrMore,
    };

    private readonly Option<int> _port = new("--port")
    {
        HelpName = "PORT",
        Description = "Serve mode (no --invoke): port of the RIE-compatible endpoint POST http://127.0.0.1:<port>/2015-03-31/functions/function/invocations; 0 lets the system pick one (printed in the 'serving invokes on' line).",
        DefaultValueFactory = _ => 9000,
    };

    private readonly Option<bool> _isolate = new("--isolate")
    {
        Description = "Run the sandbox's processes under bubblewrap so they see real /opt, /var/task and /tmp (without it they get the folders through LAMBDA_EMULATOR_OPT, LAMBDA_TASK_ROOT and TMPDIR).",
    };

    private readonly Option<bool> _noFreeze = new("--no-freeze")
    {
        Description = "Do not freeze (SIGSTOP) the sandbox between invokes.",
    };

    private readonly Option<bool> _managedInstances = new("--managed-instances")
    {
        Description = "Lambda Managed Instances mode: AWS_LAMBDA_INITIALIZATION_TYPE=lambda-managed-instances, extensions may register for SHUTDOWN only, never frozen, concurrent invokes (--concurrency, default 16), INIT limit max(130 s, --timeout), no platform.runtimeDone.",
    };

    private readonly Option<bool> _snapStart = new("--snapstart")
    {
        Description = "SnapStart mode: INIT with AWS_LAMBDA_INITIALIZATION_TYPE=snap-start (limit max(130 s, --timeout)), then a snapshot (every sandbox process stopped), then a restore at the first invoke (RESTORE_START/RESTORE_REPORT, the runtime's restore/next answered, restore telemetry, the sandbox's TCP connections to anything but the emulator's APIs destroyed). Credentials reach the sandbox only through a container credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI, AWS_CONTAINER_AUTHORIZATION_TOKEN) whose session changes at the restore.",
    };

    private readonly Option<double?> _credentialsLifetime = new("--credentials-lifetime")
    {
        HelpName = "SECONDS",
        Description = "With --snapstart: how long each credentials session served by the container credentials endpoint lasts (default 3600); a request in its second half gets a new session.",
    };

    private readonly Option<int?> _concurrency = new("--concurrency")
    {
        HelpName = "N",
        Description = "How many invokes the execution environment takes at once (default 1; 16 with --managed-instances); more wait for a free slot.",
    };

    private readonly Option<string> _functionName = new("--function-name")
    {
        HelpName = "NAME",
        Description = "AWS_LAMBDA_FUNCTION_NAME.",
        DefaultValueFactory = _ => "function",
    };

    private readonly Option<string?> _runtime = new("--runtime")
    {
        HelpName = "ID",
        Description = "The Lambda runtime the runtime command plays (python3.12, nodejs22.x, java21, dotnet8, provided.al2023, ...): sets AWS_EXECUTION_ENV=AWS_Lambda_<ID>. Managed runtimes start through AWS_LAMBDA_EXEC_WRAPPER when the function sets it; OS-only runtimes (provided, provided.al2, provided.al2023) ignore it. Default: no AWS_EXECUTION_ENV, the wrapper honoured.",
    };

    private readonly Argument<string[]> _bootstrap = new("bootstrap")
    {
        Description = "After --: the runtime command and its arguments (default: bootstrap in /var/task, else in /opt).",
        Arity = ArgumentArity.ZeroOrMore,
    };

    public RootCommand Build(Func<EmulatorOptions, CancellationToken, Task<int>> run)
    {
        var root = new RootCommand(
            "Local AWS Lambda emulator with the Runtime, Extensions and Telemetry APIs, freezing and SHUTDOWN.\n" +
            "Usage: LambdaEmulator [options] [-- <bootstrap command and args>]")
        {
            _layer, _function, _handler, _env, _tmp, _memory, _timeout, _initTimeout, _invoke, _port, _isolate,
            _noFreeze, _managedInstances, _snapStart, _credentialsLifetime, _concurrency, _functionName, _runtime, _bootstrap,
        };
        root.Validators.Add(result =>
        {
            foreach (var pair in result.GetValue(_env) ?? [])
            {
                if (!pair.Contains('=', StringComparison.Ordinal) || pair.StartsWith('='))
                {
                    result.AddError($"--env expects KEY=VALUE, got '{pair}'.");
                }
            }
        });
        root.Validators.Add(ValidateValues);
        root.SetAction((result, cancellationToken) => run(ToOptions(result), cancellationToken));
        return root;
    }

    private void ValidateValues(CommandResult result)
    {
        if (result.GetValue(_concurrency) is { } concurrency && concurrency < 1)
        {
            result.AddError($"--concurrency expects a whole number of at least 1, got {concurrency}.");
        }

        if (result.GetValue(_snapStart) && result.GetValue(_managedInstances))
        {
            result.AddError("--snapstart and --managed-instances cannot be combined: Lambda offers SnapStart for on-demand functions only.");
        }

        if (result.GetValue(_credentialsLifetime) is { } lifetime && !(lifetime >= 1))
        {
            result.AddError($"--credentials-lifetime expects at least 1 second, got {lifetime}.");
        }

        if (result.GetValue(_runtime) is { } runtime
            && (runtime.Length == 0 || !runtime.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '.')))
        {
            result.AddError($"--runtime expects a Lambda runtime identifier such as python3.12, nodejs22.x or provided.al2023, got '{runtime}'.");
        }
    }

    /// <summary>
    /// Usage errors: the parser's own, and any token before "--" that no option took. Without this check an
    /// unknown option such as "--timout" would silently become the runtime command (the bootstrap argument takes
    /// every token nothing else matched). Only what follows "--" is the runtime command.
    /// </summary>
    public IReadOnlyList<string> UsageErrors(ParseResult result)
    {
        var errors = result.Errors.Select(e => e.Message).ToList();
        var doubleDash = result.Tokens.ToList().FindIndex(t => t.Type == TokenType.DoubleDash);
        var afterDoubleDash = doubleDash < 0 ? 0 : result.Tokens.Count - doubleDash - 1;
        var bootstrap = result.GetResult(_bootstrap)?.Tokens ?? [];
        if (bootstrap.Take(bootstrap.Count - afterDoubleDash).FirstOrDefault() is { } stray)
        {
            errors.Add(stray.Value.StartsWith('-')
                ? $"Unknown option '{stray.Value}' (see --help); the runtime command and its arguments go after --."
                : $"Unexpected argument '{stray.Value}': the runtime command and its arguments go after --.");
        }

        return errors;
    }

    private EmulatorOptions ToOptions(ParseResult result)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in result.GetValue(_env) ?? [])
        {
            var split = pair.IndexOf('=', StringComparison.Ordinal);
            environment[pair[..split]] = pair[(split + 1)..];
        }

        var managed = result.GetValue(_managedInstances);
        var snapStart = result.GetValue(_snapStart);
        var timeout = TimeSpan.FromSeconds(result.GetValue(_timeout));
        return new EmulatorOptions
        {
            Layers = result.GetValue(_layer) ?? [],
            Function = result.GetValue(_function),
            Handler = result.GetValue(_handler) ?? "handler",
            Environment = environment,
            Tmp = result.GetValue(_tmp),
            MemoryMb = result.GetValue(_memory),
            Timeout = timeout,
            InitTimeout = TimeSpan.FromSeconds(result.GetValue(_initTimeout) ?? (managed || snapStart ? Math.Max(130, timeout.TotalSeconds) : 10)),
            Invokes = result.GetValue(_invoke) ?? [],
            Port = result.GetValue(_port),
            Isolate = result.GetValue(_isolate),
            // Managed Instances are never frozen.
            Freeze = !result.GetValue(_noFreeze) && !managed,
            ManagedInstances = managed,
            SnapStart = snapStart,
            CredentialsLifetime = TimeSpan.FromSeconds(result.GetValue(_credentialsLifetime) ?? 3600),
            Concurrency = result.GetValue(_concurrency) ?? (managed ? EmulatorOptions.ManagedInstancesConcurrency : 1),
            FunctionName = result.GetValue(_functionName) ?? "function",
            Runtime = result.GetValue(_runtime),
            Bootstrap = result.GetValue(_bootstrap) ?? [],
        };
    }
}
