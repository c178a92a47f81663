using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace ExtensionCache.IntegrationTests.Infrastructure;

/// <summary>
/// <c>dotnet LambdaEmulator.dll</c> in serve mode, kept running while a test sends invokes over HTTP and looks at
/// the sandbox between them (its processes are frozen then, so <c>/proc</c> and <c>/tmp</c> hold still). Every line
/// it prints (stdout and stderr, in arrival order) is kept; per-invoke lines are not echoed to the test output.
/// </summary>
public sealed partial class ServeModeEmulator : IAsyncDisposable
{
    private const string ServingMarker = "serving invokes on http://127.0.0.1:";
    // Serving starts after the first INIT, which has its own (generous) limit: this only catches an emulator that hangs.
    private static readonly TimeSpan StartTimeout = Generous.Run;
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);
    private static readonly string[] QuietPrefixes = ["START RequestId:", "END RequestId:", "REPORT RequestId:", "RESPONSE RequestId:"];

    private readonly Process _process;
    private readonly ITestOutputHelper _output;
    // An answer may wait for a free slot, then for an INIT retried under the function timeout: the emulator's limits decide.
    private readonly HttpClient _http = new() { Timeout = Generous.Run };
    private readonly List<string> _lines = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _echo = true;

    private ServeModeEmulator(Process process, ITestOutputHelper output)
    {
        _process = process;
        _output = output;
        _process.OutputDataReceived += (_, e) => Collect(e.Data);
        _process.ErrorDataReceived += (_, e) => Collect(e.Data);
        _process.Exited += (_, _) => Pulse();
    }

    /// <summary>The port the emulator's invoke endpoint got (it is started with <c>--port 0</c>).</summary>
    public int Port { get; private set; }

    /// <summary>The emulator's own process id.</summary>
    public int ProcessId => _process.Id;

    public Uri InvokeUrl => new($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/2015-03-31/functions/function/invocations");

    public int LineCount
    {
        get
        {
            lock (_lines)
            {
                return _lines.Count;
            }
        }
    }

    /// <summary>A copy of every line printed so far.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>
    /// Starts the emulator with <c>--port 0</c> and returns once it serves invokes, i.e. after its first INIT ended
    /// (succeeded, failed or timed out), with <see cref="Port"/> read from its "serving invokes on" line.
    /// </summary>
    public static async Task<ServeModeEmulator> StartAsync(RepositoryLayout layout, ServeModeRequest request, ITestOutputHelper output)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(output);
        var emulator = Launch(layout, request, output);
        try
        {
            var at = await emulator.WaitForLineAsync(l => l.Contains(ServingMarker, StringComparison.Ordinal), 0, StartTimeout);
            var line = emulator.Lines[at];
            var digits = line[(line.IndexOf(ServingMarker, StringComparison.Ordinal) + ServingMarker.Length)..].TakeWhile(char.IsAsciiDigit);
            emulator.Port = int.Parse(string.Concat(digits), CultureInfo.InvariantCulture);
            return emulator;
        }
        catch
        {
            await emulator.DisposeAsync();
            throw;
        }
    }

    /// <summary>POSTs one invoke and returns its answer (safe to call concurrently; the emulator takes --concurrency at once).</summary>
    public async Task<ServeModeInvoke> InvokeAsync(string payload)
    {
        using var content = new StringContent(payload, Encoding.UTF8, "application/json");
        using var response = await _http.PostAsync(InvokeUrl, content);
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"the emulator answered HTTP {(int)response.StatusCode}: {body}");
        }

        var requestId = response.Headers.TryGetValues("X-Amzn-RequestId", out var ids) ? ids.Single() : "";
        return new ServeModeInvoke(requestId, body, response.Headers.Contains("X-Amz-Function-Error"));
    }

    /// <summary>
    /// Waits until a line at or after <paramref name="startIndex"/> matches and returns its index; throws with the
    /// output when the emulator exits first or the timeout passes.
    /// </summary>
    public async Task<int> WaitForLineAsync(Func<string, bool> predicate, int startIndex, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        using var deadline = new CancellationTokenSource(timeout);
        var next = startIndex;
        while (true)
        {
            Task changed;
            lock (_lines)
            {
                changed = _changed.Task;
                for (; next < _lines.Count; next++)
                {
                    if (predicate(_lines[next]))
                    {
                        return next;
                    }
                }
            }

            if (_process.HasExited)
            {
                // Exited: every line is in once the streams are drained.
                await _process.WaitForExitAsync(CancellationToken.None);
                lock (_lines)
                {
                    for (; next < _lines.Count; next++)
                    {
                        if (predicate(_lines[next]))
                        {
                            return next;
                        }
                    }
                }

                throw new InvalidOperationException($"the emulator exited with status {_process.ExitCode} before the awaited line; output:\n{string.Join('\n', Lines)}");
            }

            try
            {
                await changed.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no awaited line from the emulator within {timeout}; output:\n{string.Join('\n', Lines)}");
            }
        }
    }

    /// <summary>The pid of the newest process the emulator started under a name (<c>started NAME (pid N)</c> on stderr).</summary>
    public int LatestPidOf(string name)
    {
        var pids = PidsOf(name);
        return pids.Count > 0 ? pids[^1] : throw new InvalidOperationException($"the emulator has started no process named {name}");
    }

    /// <summary>Every pid the emulator started under a name, oldest first.</summary>
    public IReadOnlyList<int> PidsOf(string name) =>
        [.. Lines.Where(l => l.Contains("] started ", StringComparison.Ordinal)).Select(l => StartedLine().Match(l))
            .Where(m => m.Success && m.Groups["name"].Value == name)
            .Select(m => int.Parse(m.Groups["pid"].Value, CultureInfo.InvariantCulture))];

    /// <summary>SIGTERM (the emulator then sends SHUTDOWN to the sandbox), and the whole process tree killed if it lingers.</summary>
    public async ValueTask DisposeAsync()
    {
        _echo = false;
        if (!_process.HasExited)
        {
            using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])))
            {
                await kill!.WaitForExitAsync();
            }

            using var stop = new CancellationTokenSource(StopTimeout);
            try
            {
                await _process.WaitForExitAsync(stop.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None);
            }
        }

        _process.Dispose();
        _http.Dispose();
    }

    private static ServeModeEmulator Launch(RepositoryLayout layout, ServeModeRequest request, ITestOutputHelper output)
    {
        var startInfo = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = layout.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        var args = startInfo.ArgumentList;
        EmulatorArguments.AddSandbox(
            args, layout, request.Layers, request.Function, request.TmpDirectory, request.TimeoutSeconds, request.InitTimeoutSeconds, request.Environment);
        foreach (var option in request.Options)
        {
            args.Add(option);
        }

        args.Add("--port");
        args.Add("0");
        EmulatorArguments.AddRuntime(args, request.RuntimeCommand);

        output.WriteLine($"$ dotnet {string.Join(' ', args)}");
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var emulator = new ServeModeEmulator(process, output);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return emulator;
    }

    private void Collect(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Add(line);
        }

        Pulse();
        if (_echo && !QuietPrefixes.Any(p => line.StartsWith(p, StringComparison.Ordinal)))
        {
            try
            {
                _output.WriteLine(line);
            }
            catch (InvalidOperationException)
            {
                // The test has finished; the line is still kept.
                _echo = false;
            }
        }
    }

    private void Pulse()
    {
        TaskCompletionSource changed;
        lock (_lines)
        {
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    [GeneratedRegex(@"\] started (?<name>\S+) \(pid (?<pid>\d+)\)$")]
    private static partial Regex StartedLine();
}
