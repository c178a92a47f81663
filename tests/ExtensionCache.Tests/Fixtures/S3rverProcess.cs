using System.Diagnostics;
using System.Text.RegularExpressions;

namespace ExtensionCache.Tests.Fixtures;

/// <summary>
/// A real s3rver (from the committed tests/package.json, installed by <c>npm ci --prefix tests</c>) on a free
/// loopback port, with one bucket, its data in a temp folder. Ready when it prints its listening line.
/// </summary>
public sealed partial class S3rverProcess : IDisposable
{
    private readonly Process _process;
    private readonly TempDirectory _data;
    private readonly Task _drain;

    private S3rverProcess(Process process, TempDirectory data, Uri endpoint)
    {
        _process = process;
        _data = data;

        // Keep reading its output so the server never blocks on a full pipe.
        _drain = Task.WhenAll(
            process.StandardOutput.BaseStream.CopyToAsync(Stream.Null),
            process.StandardError.BaseStream.CopyToAsync(Stream.Null));
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    public static async Task<S3rverProcess> StartAsync(string bucket)
    {
        var script = FindScript() ?? throw new InvalidOperationException(
            "s3rver is not installed: run `npm ci --prefix tests` from the repository root");
        var data = new TempDirectory();
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { script, "-d", data.Path, "-a", "127.0.0.1", "-p", "0", "--configure-bucket", bucket })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            var match = ListeningLine().Match(line);
            if (match.Success)
            {
                return new S3rverProcess(process, data, new Uri($"http://127.0.0.1:{match.Groups[1].Value}"));
            }
        }

        process.Kill(entireProcessTree: true);
        process.Dispose();
        data.Dispose();
        throw new InvalidOperationException("s3rver exited before it listened: " + await process.StandardError.ReadToEndAsync());
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _drain.Wait(TimeSpan.FromSeconds(5));
        _process.Dispose();
        _data.Dispose();
    }

    private static string? FindScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Join(dir.FullName, "tests", "node_modules", "s3rver", "bin", "s3rver.js");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        const string dev = "/tmp/s3rver-dev/node_modules/s3rver/bin/s3rver.js";
        return File.Exists(dev) ? dev : null;
    }

    [GeneratedRegex(@"listening on [^:]+:(\d+)")]
    private static partial Regex ListeningLine();
}
