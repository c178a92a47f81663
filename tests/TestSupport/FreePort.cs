using System.Net;
using System.Net.Sockets;

namespace ExtensionCache.TestSupport;

/// <summary>
/// A free loopback port, only for an external program that must be told its port up front (nginx): another process
/// may take it before the program binds, so servers started in-process bind port 0 (<see cref="LoopbackHttpHost"/>).
/// </summary>
public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits until something accepts connections on the port (the server is up), or fails after the timeout.</summary>
    public static async Task WaitUntilListeningAsync(int port, Func<bool> hasExited, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (hasExited())
            {
                throw new InvalidOperationException($"the server meant for port {port} exited before it listened");
            }

            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(20, cancellationToken).ConfigureAwait(false);
            }
        }

        throw new TimeoutException($"nothing listened on 127.0.0.1:{port} within {timeout}");
    }
}
