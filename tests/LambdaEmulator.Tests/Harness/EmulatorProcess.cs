using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace LambdaEmulator.Tests.Harness;

/// <summary>
/// The real emulator (dotnet LambdaEmulator.dll) as a <see cref="ChildProcess"/>. Disposing stops it gracefully
/// (SIGTERM), then SIGKILLs it and every sandbox process group it reported starting, so no test leaves processes
/// behind. Unless a test names its own <c>--timeout</c> or <c>--init-timeout</c>, the run gets
/// <see cref="Generous.FunctionTimeoutSeconds"/> and <see cref="Generous.InitTimeoutSeconds"/>: Lambda's 3 s and 10 s
/// are for real functions, and the tests' bash + curl scripts on a busy machine must not run into them by accident.
/// A test about a limit passes it (<c>InvokeTests</c>, <c>InitTests</c>), or keeps the emulator's defaults with
/// <c>generousLimits: false</c>.
/// </summary>
internal sealed partial class EmulatorProcess : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private EmulatorProcess(ProcessStartInfo info) => _process = ChildProcess.Start(info, Stdout.Add, Stderr.Add);

    public LineLog Stdout { get; } = new();

    public LineLog Stderr { get; } = new();

    public int Pid => _process.Id;

    public static string EmulatorDll => Path.Combine(AppContext.BaseDirectory, "LambdaEmulator.dll");

    public static EmulatorProcess Start(IEnumerable<string> arguments, bool generousLimits = true) =>
        new(ChildProcess.Info("dotnet", [EmulatorDll, .. generousLimits ? WithGenerousLimits([.. arguments]) : arguments]));

    /// <summary>Runs a one-shot emulator to its end (killed, and the test failed, after <see cref="Generous.Run"/>).</summary>
    public static async Task<EmulatorResult> RunAsync(IEnumerable<string> arguments, bool generousLimits = true)
    {
        await using var emulator = Start(arguments, generousLimits);
        return await emulator.WaitForExitAsync(Generous.Run);
    }

    public async Task<EmulatorResult> WaitForExitAsync(TimeSpan timeout)
    {
        if (!await _process.WaitForExitAsync(timeout))
        {
            throw new Xunit.Sdk.XunitException(
                $"Emulator did not exit within {timeout}:\n{string.Join('\n', Stdout.Lines)}\n--- stderr\n{string.Join('\n', Stderr.Lines)}");
        }

        return new EmulatorResult(_process.ExitCode, Stdout.Lines, Stderr.Lines);
    }

    /// <summary>The arguments with the generous limits in front, each unless the test's own options (before <c>--</c>) name it.</summary>
    internal static IEnumerable<string> WithGenerousLimits(IReadOnlyList<string> arguments)
    {
        var options = arguments.TakeWhile(a => a != "--").ToList();
        if (!options.Contains("--timeout"))
        {
            yield return "--timeout";
            yield return Generous.FunctionTimeoutSeconds.ToString(CultureInfo.InvariantCulture);
        }

        if (!options.Contains("--init-timeout"))
        {
            yield return "--init-timeout";
            yield return Generous.InitTimeoutSeconds.ToString(CultureInfo.InvariantCulture);
        }

        foreach (var argument in arguments)
        {
            yield return argument;
        }
    }

    public void Terminate() => ProcessSignals.Send(_process.Id, ProcessSignals.SigTerm);

    /// <summary>The pid of a sandbox process, from the emulator's "started NAME (pid N)" diagnostics.</summary>
    public async Task<int> SandboxPidAsync(string name, TimeSpan timeout)
    {
        var line = await Stderr.WaitForAsync(l => l.Contains($"started {name} (pid ", StringComparison.Ordinal), timeout, $"start of {name}");
        return int.Parse(StartedPattern().Match(line).Groups[2].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Serve mode started with <c>--port 0</c>: waits for the "serving invokes on" line and returns the port the
    /// system picked (no window in which another process can take a port probed beforehand).
    /// </summary>
    public async Task<int> ServePortAsync(TimeSpan timeout)
    {
        var line = await Stderr.WaitForAsync(l => l.Contains("serving invokes on ", StringComparison.Ordinal), timeout, "serve mode");
        return int.Parse(ServingPattern().Match(line).Groups[1].Value, CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Terminate();
            if (!await _process.WaitForExitAsync(TimeSpan.FromSeconds(8)))
            {
                _process.Kill();
            }
        }

        foreach (var line in Stderr.Lines)
        {
            if (StartedPattern().Match(line) is { Success: true } match
                && LiveSandboxGroup(int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture)) is { } group)
            {
                ProcessSignals.Send(-group, ProcessSignals.SigKill);
            }
        }

        await _process.DisposeAsync();
    }

    /// <summary>
    /// The process group of a started sandbox process (the pid itself, or bubblewrap's monitor above it) while a
    /// process of it still carries a sandbox environment (pids get reused); null when none does.
    /// </summary>
    private static int? LiveSandboxGroup(int pid)
    {
        var started = pid.ToString(CultureInfo.InvariantCulture);
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(folder, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if ((fields[2] == started || Path.GetFileName(folder) == started)
                    && File.ReadAllText(Path.Combine(folder, "environ")).Contains("AWS_LAMBDA_RUNTIME_API=", StringComparison.Ordinal))
                {
                    return int.Parse(fields[2], CultureInfo.InvariantCulture);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }

        return null;
    }

    [GeneratedRegex(@"started (\S+) \(pid (\d+)\)")]
    private static partial Regex StartedPattern();

    [GeneratedRegex(@"serving invokes on http://127\.0\.0\.1:(\d+)/")]
    private static partial Regex ServingPattern();
}
