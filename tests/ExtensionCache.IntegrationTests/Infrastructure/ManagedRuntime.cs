using System.Diagnostics;

namespace ExtensionCache.IntegrationTests.Infrastructure;

/// <summary>
/// A managed runtime as the emulator plays it: the Lambda runtime identifier (its <c>--runtime</c>, so
/// AWS_EXECUTION_ENV and AWS_LAMBDA_EXEC_WRAPPER behave as on Lambda) and the command Lambda's bootstrap would exec:
/// this machine's python3 or node running the stand-in runtime in ManagedRuntimes/.
/// </summary>
/// <param name="Identifier">The Lambda runtime identifier, e.g. python3.12.</param>
/// <param name="Command">What the managed runtime's bootstrap execs (through the wrapper).</param>
/// <param name="Functions">The folder of AttachedFunctions/ with this language's handlers, copied to the test output.</param>
public sealed record ManagedRuntime(string Identifier, IReadOnlyList<string> Command, string Functions)
{
    /// <summary>X.Y of the python3 on PATH (the one the runtime runs).</summary>
    public static string PythonVersion { get; } = Ask("python3", "-c", "import sys; print(f'{sys.version_info.major}.{sys.version_info.minor}')");

    /// <summary>The major version of the node on PATH.</summary>
    public static string NodeMajor { get; } = Ask("node", "-p", "process.versions.node.split('.')[0]");

    public static ManagedRuntime Python { get; } =
        new($"python{PythonVersion}", ["python3", Path.Combine(AppContext.BaseDirectory, "ManagedRuntimes", "python_runtime.py")], FunctionsOf("python"));

    public static ManagedRuntime Node { get; } =
        new($"nodejs{NodeMajor}.x", ["node", Path.Combine(AppContext.BaseDirectory, "ManagedRuntimes", "node_runtime.mjs")], FunctionsOf("node"));

    private static string FunctionsOf(string language) => Path.Combine(AppContext.BaseDirectory, "AttachedFunctions", language);

    private static string Ask(string command, params string[] arguments)
    {
        var info = ChildProcess.Info(command, arguments);
        info.RedirectStandardOutput = true;
        info.UseShellExecute = false;
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {command}");
        var answer = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return process.ExitCode == 0 && answer.Length > 0 ? answer : throw new InvalidOperationException($"{command} {string.Join(' ', arguments)} failed");
    }
}
