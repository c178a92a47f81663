using System.Diagnostics;

namespace ExtensionCache.Cli.Tests;

/// <summary>Runs the built tool as a real process (<c>dotnet extension-cache-bundle.dll …</c>).</summary>
public static class CliRun
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    public static Task<ProcessResult> RunAsync(IReadOnlyDictionary<string, string>? environment, params string[] arguments) =>
        ChildProcess.RunAsync(Info(environment, arguments), Timeout);

    public static Task<ProcessResult> RunAsync(params string[] arguments) => RunAsync(null, arguments);

    /// <summary>The tool run without root's power to read every file (see <see cref="Unprivileged"/>).</summary>
    public static Task<ProcessResult> RunUnprivilegedAsync(params string[] arguments) =>
        ChildProcess.RunAsync(Unprivileged.Wrap(Info(null, arguments)), Timeout);

    /// <summary>A failure is one clear message: no stack trace, no exception type.</summary>
    public static void AssertNoStackTrace(ProcessResult result)
    {
        Assert.DoesNotContain("   at ", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception:", result.Output, StringComparison.Ordinal);
    }

    public static ProcessStartInfo Python(params string[] arguments) => ChildProcess.Info("python3", arguments);

    private static ProcessStartInfo Info(IReadOnlyDictionary<string, string>? environment, string[] arguments)
    {
        var info = ChildProcess.Info("dotnet", [Path.Join(AppContext.BaseDirectory, "extension-cache-bundle.dll"), .. arguments]);
        info.Environment.Remove("SOURCE_DATE_EPOCH");
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        return info;
    }
}
