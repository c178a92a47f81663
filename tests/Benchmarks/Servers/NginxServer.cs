using System.Globalization;
using ExtensionCache.TestSupport;

namespace ExtensionCache.Benchmarks.Servers;

/// <summary>
/// One nginx (Debian nginx-light) serving the bundle folder on two loopback ports: one with a per-connection
/// limit_rate that models Lambda's network, one uncapped. Config, pid, logs and temp files live in a temp dir.
/// </summary>
public sealed class NginxServer : IAsyncDisposable
{
    private readonly ChildProcess _process;
    private readonly string _directory;

    private NginxServer(ChildProcess process, string directory, int cappedPort, int uncappedPort)
    {
        _process = process;
        _directory = directory;
        CappedPort = cappedPort;
        UncappedPort = uncappedPort;
    }

    public int CappedPort { get; }

    public int UncappedPort { get; }

    /// <summary>Requests answered and body bytes sent so far, from the access log (one line per request).</summary>
    public (int Requests, long Bytes) Traffic()
    {
        var path = Path.Combine(_directory, "access.log");
        if (!File.Exists(path))
        {
            return (0, 0);
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var requests = 0;
        long bytes = 0;
        while (reader.ReadLine() is { } line)
        {
            if (long.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var sent))
            {
                requests++;
                bytes += sent;
            }
        }

        return (requests, bytes);
    }

    public static async Task<NginxServer> StartAsync(string root, int rateLimitMib, CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("ec-bench-nginx-").FullName;
        // nginx must be given its ports in the config (it cannot report ports it picked), so they are probed first.
        var capped = FreePort.Next();
        var uncapped = FreePort.Next();
        var user = Environment.UserName == "root" ? "user root;" : string.Empty;
        var config = string.Create(CultureInfo.InvariantCulture, $$"""
            {{user}}
            worker_processes 2;
            pid {{directory}}/nginx.pid;
            error_log {{directory}}/error.log warn;
            events { worker_connections 1024; }
            http {
              log_format sent '$body_bytes_sent';
              access_log {{directory}}/access.log sent;
              sendfile on;
              tcp_nopush on;
              keepalive_requests 100000;
              client_body_temp_path {{directory}}/body;
              default_type application/octet-stream;
              server { listen 127.0.0.1:{{capped}}; root {{root}}; limit_rate {{rateLimitMib}}m; }
              server { listen 127.0.0.1:{{uncapped}}; root {{root}}; }
            }
            """);
        var configPath = Path.Combine(directory, "nginx.conf");
        await File.WriteAllTextAsync(configPath, config, cancellationToken).ConfigureAwait(false);
        var process = ChildProcess.Start(ChildProcess.Info("nginx", "-p", directory, "-e", Path.Combine(directory, "error.log"), "-c", configPath, "-g", "daemon off;"));
        var server = new NginxServer(process, directory, capped, uncapped);
        try
        {
            await FreePort.WaitUntilListeningAsync(capped, () => process.HasExited, TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false);
            await FreePort.WaitUntilListeningAsync(uncapped, () => process.HasExited, TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is InvalidOperationException or TimeoutException)
        {
            var log = File.Exists(Path.Combine(directory, "error.log")) ? await File.ReadAllTextAsync(Path.Combine(directory, "error.log"), cancellationToken).ConfigureAwait(false) : string.Empty;
            await server.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"nginx did not start: {exception.Message}\n{process.Output}\n{log}", exception);
        }

        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync().ConfigureAwait(false);
        Directory.Delete(_directory, recursive: true);
    }
}
