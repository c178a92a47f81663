using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ExtensionCache.IntegrationTests.Infrastructure;

/// <summary>
/// A loopback TCP proxy in front of a real server (s3rver) that passes requests through untouched and sends the
/// answers back at a fixed total rate, so a download takes a known minimum time. It relays bytes, not HTTP, so
/// the client's SigV4 signature (over the Host header it sent) still verifies at the server. It can also hold the
/// answers after a given number of bytes until <see cref="Release"/>, so a download is known to be part-done when
/// something else (an INIT timeout) happens, however slow the machine.
/// </summary>
public sealed class ThrottlingTcpProxy : IAsyncDisposable
{
    private const int ChunkBytes = 16 * 1024;

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Uri _upstream;
    private readonly long _bytesPerSecond;
    private readonly long _holdAfterBytes;
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly List<Task> _connections = [];
    private long _nextSlot;
    private long _bytesDown;
    private Task _accepting = Task.CompletedTask;

    private ThrottlingTcpProxy(Uri upstream, long bytesPerSecond, long holdAfterBytes)
    {
        _upstream = upstream;
        _bytesPerSecond = bytesPerSecond;
        _holdAfterBytes = holdAfterBytes;
    }

    /// <summary><c>http://127.0.0.1:port</c> of the proxy.</summary>
    public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>Bytes sent from the server to clients so far.</summary>
    public long BytesDown => Interlocked.Read(ref _bytesDown);

    /// <summary>
    /// Starts relaying to <paramref name="upstream"/> (host and port), answers at <paramref name="bytesPerSecond"/> in
    /// total; once <paramref name="holdAfterBytes"/> have been sent, the answers wait for <see cref="Release"/>.
    /// </summary>
    public static ThrottlingTcpProxy Start(Uri upstream, long bytesPerSecond, long holdAfterBytes = long.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        ArgumentOutOfRangeException.ThrowIfLessThan(bytesPerSecond, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(holdAfterBytes, 1);
        var proxy = new ThrottlingTcpProxy(upstream, bytesPerSecond, holdAfterBytes);
        proxy._listener.Start();
        proxy._accepting = proxy.AcceptAsync();
        return proxy;
    }

    /// <summary>Lets held answers go on (at the fixed rate).</summary>
    public void Release() => _released.TrySetResult();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Task[] connections;
        lock (_gate)
        {
            connections = [.. _connections, _accepting];
        }

        await Task.WhenAll(connections);
        _listener.Dispose();
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
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

    /// <summary>One client connection: a connection to the server, bytes pumped both ways until either side closes.</summary>
    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                await server.ConnectAsync(_upstream.Host, _upstream.Port, _stop.Token);
                var clientStream = client.GetStream();
                var serverStream = server.GetStream();
                var up = PumpAsync(clientStream, serverStream, throttle: false);
                var down = PumpAsync(serverStream, clientStream, throttle: true);
                await Task.WhenAny(up, down);
                // One side closed (or the proxy stops): the conversation is over, close both.
                client.Close();
                server.Close();
                await Task.WhenAll(up, down);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
            {
                // A client killed mid-download (that is what the tests do) or the proxy stopping.
            }
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, bool throttle)
    {
        var buffer = new byte[ChunkBytes];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, _stop.Token)) > 0)
            {
                if (throttle)
                {
                    if (BytesDown + read > _holdAfterBytes)
                    {
                        await _released.Task.WaitAsync(_stop.Token);
                    }

                    await WaitForSlotAsync(read);
                    Interlocked.Add(ref _bytesDown, read);
                }

                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
            // Closed by the other pump, the peer or the proxy stopping.
        }
    }

    /// <summary>Schedules <paramref name="bytes"/> after every byte already scheduled, at the fixed rate (no credit for idle time).</summary>
    private Task WaitForSlotAsync(int bytes)
    {
        TimeSpan wait;
        lock (_gate)
        {
            var now = Stopwatch.GetTimestamp();
            var start = Math.Max(now, _nextSlot);
            _nextSlot = start + (long)(bytes * (double)Stopwatch.Frequency / _bytesPerSecond);
            wait = Stopwatch.GetElapsedTime(now, start);
        }

        return wait > TimeSpan.Zero ? Task.Delay(wait, _stop.Token) : Task.CompletedTask;
    }
}
