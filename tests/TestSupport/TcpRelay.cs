using System.Net;
using System.Net.Sockets;

namespace ExtensionCache.TestSupport;

/// <summary>
/// A loopback TCP listener that relays every client connection to an upstream server, byte for byte (not HTTP, so a
/// client's SigV4 signature over its Host header still verifies upstream). What happens on the way is the
/// subclass's: <see cref="Pump"/> gives the two directions of one connection. When either side closes, both close.
/// Everything stops on <see cref="DisposeAsync"/>.
/// </summary>
public abstract class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _upstreamHost;
    private readonly int _upstreamPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly List<Task> _connections = [];
    private Task _accepting = Task.CompletedTask;

    protected TcpRelay(string upstreamHost, int upstreamPort)
    {
        _upstreamHost = upstreamHost;
        _upstreamPort = upstreamPort;
    }

    /// <summary>The port this relay listens on, on 127.0.0.1.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Cancelled when the relay stops.</summary>
    protected CancellationToken Stopping => _stop.Token;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        Task[] connections;
        lock (_gate)
        {
            connections = [.. _connections, _accepting];
        }

        await Task.WhenAll(connections).ConfigureAwait(false);
        _listener.Dispose();
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Starts accepting; call once the subclass is ready.</summary>
    protected void Start()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>The two directions of one connection: client to server and server to client.</summary>
    protected abstract (Task Up, Task Down) Pump(NetworkStream client, NetworkStream server);

    /// <summary>Copies until the source closes, the destination fails or the relay stops; <paramref name="beforeWrite"/> may wait or count.</summary>
    protected async Task CopyAsync(NetworkStream from, NetworkStream to, int chunkBytes, Func<int, Task>? beforeWrite)
    {
        var buffer = new byte[chunkBytes];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, Stopping).ConfigureAwait(false)) > 0)
            {
                if (beforeWrite is not null)
                {
                    await beforeWrite(read).ConfigureAwait(false);
                }

                await to.WriteAsync(buffer.AsMemory(0, read), Stopping).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (IsClosing(e))
        {
            // Closed by the other direction, the peer or the relay stopping.
        }
    }

    /// <summary>The exceptions a relay sees when a peer goes away or the relay stops.</summary>
    protected static bool IsClosing(Exception e) =>
        e is OperationCanceledException or SocketException or IOException or ObjectDisposedException;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var relay = RelayAsync(client);
            lock (_gate)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(relay);
            }
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                client.NoDelay = true;
                server.NoDelay = true;
                await server.ConnectAsync(_upstreamHost, _upstreamPort, _stop.Token).ConfigureAwait(false);
                var (up, down) = Pump(client.GetStream(), server.GetStream());
                await Task.WhenAny(up, down).ConfigureAwait(false);
                client.Close();
                server.Close();
                await Task.WhenAll(up, down).ConfigureAwait(false);
            }
            catch (Exception e) when (IsClosing(e))
            {
                // A client killed mid-download (what the tests do) or the relay stopping.
            }
        }
    }
}
