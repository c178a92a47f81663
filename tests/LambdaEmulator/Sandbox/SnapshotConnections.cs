using System.Diagnostics;
using System.Globalization;
using LambdaEmulator.Logs;

namespace LambdaEmulator.Sandbox;

/// <summary>
/// What a SnapStart restore does to the sandbox's network: the microVM resumed from a snapshot has a new network, so
/// every TCP connection a process held to the outside is gone, while connections inside the microVM survive (Lambda's
/// Runtime API server runs inside it: an extension's pending <c>event/next</c> simply returns the first INVOKE). While
/// the processes are still stopped, the emulator destroys (<c>ss -K</c>, SOCK_DESTROY: the process's next use of the
/// socket fails, the peer gets a reset) every TCP connection owned by a sandbox process except those to the emulator's
/// API listener and those accepted by a sandbox process's own listener (the platform's telemetry deliveries).
/// Needs iproute2's <c>ss</c> and CAP_NET_ADMIN (root); without them it says so on stderr and leaves the connections.
/// </summary>
public static class SnapshotConnections
{
    private const string Listen = "0A";

    /// <summary>Destroys the connections; returns how many it asked <c>ss</c> to destroy.</summary>
    public static async Task<int> DropAsync(IReadOnlyCollection<int> groups, int apiPort, LambdaLog log)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(log);
        var inodes = SocketInodes(groups);
        var sockets = ReadTable("/proc/net/tcp").Concat(ReadTable("/proc/net/tcp6")).Where(s => inodes.Contains(s.Inode)).ToList();
        var listening = sockets.Where(s => s.State == Listen).Select(s => s.LocalPort).ToHashSet();
        var drop = sockets
            .Where(s => s.State != Listen && s.RemotePort != apiPort && !listening.Contains(s.LocalPort))
            .Select(s => (s.LocalPort, s.RemotePort))
            .Distinct()
            .ToList();
        var kept = sockets.Count(s => s.State != Listen) - drop.Count;
        if (drop.Count == 0)
        {
            log.Debug($"restore: no TCP connection of the sandbox to drop ({kept} to the emulator's APIs kept)");
            return 0;
        }

        var filter = string.Join(" or ", drop.Select(d => string.Create(CultureInfo.InvariantCulture, $"( sport = :{d.LocalPort} and dport = :{d.RemotePort} )")));
        var (exitCode, error) = await RunAsync("ss", ["-K", "-t", "-n", filter]).ConfigureAwait(false);
        log.Debug(exitCode == 0
            ? $"restore: dropped {drop.Count} TCP connection(s) of the sandbox ({string.Join(", ", drop.Select(d => $"{d.LocalPort}->{d.RemotePort}"))}); {kept} to the emulator's APIs kept"
            : $"restore: could not drop the sandbox's TCP connections (ss -K needs iproute2 and CAP_NET_ADMIN): {error.Trim()}");
        return exitCode == 0 ? drop.Count : 0;
    }

    /// <summary>The inodes of every socket a process of <paramref name="groups"/> has open.</summary>
    private static HashSet<long> SocketInodes(IReadOnlyCollection<int> groups)
    {
        var inodes = new HashSet<long>();
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(folder, "stat"));
                var group = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[2], CultureInfo.InvariantCulture);
                if (!groups.Contains(group))
                {
                    continue;
                }

                foreach (var fd in Directory.EnumerateFileSystemEntries(Path.Combine(folder, "fd")))
                {
                    if (new FileInfo(fd).LinkTarget is { } target
                        && target.StartsWith("socket:[", StringComparison.Ordinal)
                        && long.TryParse(target.AsSpan(8, target.Length - 9), NumberStyles.None, CultureInfo.InvariantCulture, out var inode))
                    {
                        inodes.Add(inode);
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while being read.
            }
        }

        return inodes;
    }

    /// <summary>/proc/net/tcp or tcp6: "sl local rem st tx:rx tr:when retr uid timeout inode ...", addresses as HEX:PORT.</summary>
    private static IEnumerable<TcpSocket> ReadTable(string path)
    {
        if (!File.Exists(path))
        {
            yield break;
        }

        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 10)
            {
                continue;
            }

            yield return new TcpSocket(Port(fields[1]), Port(fields[2]), fields[3], long.Parse(fields[9], CultureInfo.InvariantCulture));
        }
    }

    private static int Port(string address) => int.Parse(address.AsSpan(address.IndexOf(':', StringComparison.Ordinal) + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    private static async Task<(int ExitCode, string Error)> RunAsync(string command, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = await process.StandardError.ReadToEndAsync().ConfigureAwait(false);
            await output.ConfigureAwait(false);
            await process.WaitForExitAsync().ConfigureAwait(false);
            return (process.ExitCode, error);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }

    private sealed record TcpSocket(int LocalPort, int RemotePort, string State, long Inode);
}
