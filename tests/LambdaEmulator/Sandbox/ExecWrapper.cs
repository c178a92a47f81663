namespace LambdaEmulator.Sandbox;

/// <summary>
/// <c>AWS_LAMBDA_EXEC_WRAPPER</c>, as Lambda's managed runtimes honour it: their bootstrap runs the named script with
/// the runtime's command line as its arguments (the script sets variables and execs them). The check runs inside the
/// sandbox, where the path means what it means to the function (<c>/opt/...</c> under --isolate), with the messages
/// and exit codes of AWS's bootstrap: 127 "does not exist", 126 "is not an executable". OS-only runtimes
/// (<c>provided*</c>) start <c>bootstrap</c> directly and ignore the variable.
/// </summary>
public static class ExecWrapper
{
    public const string Variable = "AWS_LAMBDA_EXEC_WRAPPER";

    // $1 is the wrapper, the rest the runtime command; sh execs, so the runtime keeps the pid the emulator started.
    private const string Launcher = """
        wrapper=$1
        shift
        if [ ! -f "$wrapper" ]; then echo "$wrapper: does not exist"; exit 127; fi
        if [ ! -x "$wrapper" ]; then echo "$wrapper: is not an executable"; exit 126; fi
        exec "$wrapper" "$@"
        """;

    /// <summary>True for the OS-only runtimes (<c>provided</c>, <c>provided.al2</c>, <c>provided.al2023</c>).</summary>
    public static bool IsOsOnly(string? runtime) =>
        runtime is not null && (runtime == "provided" || runtime.StartsWith("provided.", StringComparison.Ordinal));

    /// <summary>The wrapper the runtime starts through, or null (variable unset or empty, or an OS-only runtime).</summary>
    public static string? For(string? runtime, IReadOnlyDictionary<string, string> variables) =>
        !IsOsOnly(runtime) && variables.TryGetValue(Variable, out var wrapper) && wrapper.Length > 0 ? wrapper : null;

    /// <summary>The command that runs <paramref name="command"/> through <paramref name="wrapper"/>.</summary>
    public static IReadOnlyList<string> Wrap(string wrapper, IReadOnlyList<string> command) =>
        ["/bin/sh", "-c", Launcher, "bootstrap", wrapper, .. command];
}
