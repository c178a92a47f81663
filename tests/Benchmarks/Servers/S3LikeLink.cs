using System.Diagnostics;
using System.Net.Sockets;
using ExtensionCache.TestSupport;

namespace ExtensionCache.Benchmarks.Servers;

/// <summary>
/// A loopback TCP proxy in front of an uncapped server that makes every connection behave like one to S3 from
/// Lambda: the answers flow at a strict rate per connection with no initial burst (nginx's <c>limit_rate</c> lets
/// each request start with a second's worth of credit, which favours many small ranges), and every request waits
/// a first-byte latency before it reaches the server (S3 answers small GETs in tens of milliseconds). It relays
/// bytes, not HTTP: a request is "new" when the client sends after the server has answered on that connection,
/// which is how HTTP/1.1 keep-alive without pipelining goes.
/// </summary>
public sealed class S3LikeLink : TcpRelay
{
    private const int ChunkBytes = 64 * 1024;

    /// <summary>
    /// How far a connection's schedule may fall behind while the server's bytes are waiting before the lost time is
    /// given up: timers wake late by a millisecond or more and the proxy shares the cores with the client, and with
    /// a 5 ms slack the rate came out about 10 % below the one asked for.
    /// </summary>
    private static readonly long CatchUpTicks = Stopwatch.Frequency / 50;

    /// <summary>A read that waits longer than this found the link idle (the server was slower): no credit for that time.</summary>
    private static readonly long StarvedTicks = Stopwatch.Frequency / 1000;

    private readonly double _ticksPerByte;
    private readonly TimeSpan _firstByteLatency;

    private S3LikeLink(int upstreamPort, long bytesPerSecond, TimeSpan firstByteLatency)
        : base("127.0.0.1", upstreamPort)
    {
        _ticksPerByte = (double)Stopwatch.Frequency / bytesPerSecond;
        _firstByteLatency = firstByteLatency;
    }

    /// <summary>Starts relaying to 127.0.0.1:<paramref name="upstreamPort"/>.</summary>
    public static S3LikeLink Start(int upstreamPort, long bytesPerSecond, TimeSpan firstByteLatency)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytesPerSecond, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(firstByteLatency, TimeSpan.Zero);
        var link = new S3LikeLink(upstreamPort, bytesPerSecond, firstByteLatency);
        link.Start();
        return link;
    }

    protected override (Task Up, Task Down) Pump(NetworkStream client, NetworkStream server)
    {
        var connection = new Connection();
        return (RequestsAsync(client, server, connection), AnswersAsync(server, client, connection));
    }

    /// <summary>Client to server: the first bytes of each request wait the first-byte latency, the rest pass at once.</summary>
    private Task RequestsAsync(NetworkStream from, NetworkStream to, Connection connection) =>
        CopyAsync(from, to, ChunkBytes, async _ =>
        {
            if (connection.AwaitingRequest)
            {
                connection.AwaitingRequest = false;
                if (_firstByteLatency > TimeSpan.Zero)
                {
                    await Task.Delay(_firstByteLatency, Stopping).ConfigureAwait(false);
                }

                connection.AnswerStarts = true;
            }
        });

    /// <summary>
    /// Server to client at the connection's rate: each chunk leaves when its last byte would have arrived over the
    /// link, and a new answer's schedule starts when its first bytes come, so an idle connection earns no credit.
    /// </summary>
    private async Task AnswersAsync(NetworkStream from, NetworkStream to, Connection connection)
    {
        var buffer = new byte[ChunkBytes];
        long next = 0;
        try
        {
            while (true)
            {
                var reading = Stopwatch.GetTimestamp();
                var read = await from.ReadAsync(buffer, Stopping).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                // Time lost waking late is made up (within the slack); time the server made the link wait is not.
                var now = Stopwatch.GetTimestamp();
                var start = connection.AnswerStarts || now - reading > StarvedTicks ? Math.Max(next, now) : Math.Max(next, now - CatchUpTicks);
                connection.AnswerStarts = false;
                next = start + (long)(read * _ticksPerByte);
                if (next > now)
                {
                    await Task.Delay(Stopwatch.GetElapsedTime(now, next), Stopping).ConfigureAwait(false);
                }

                await to.WriteAsync(buffer.AsMemory(0, read), Stopping).ConfigureAwait(false);
                // The client's next bytes are a new request (no pipelining over HTTP/1.1 keep-alive).
                connection.AwaitingRequest = true;
            }
        }
        catch (Exception e) when (IsClosing(e))
        {
            // Closed by the other direction, the peer or the link stopping.
        }
    }

    /// <summary>The state both directions of one connection share.</summary>
    private sealed class Connection
    {
        private volatile bool _awaitingRequest = true;
        private volatile bool _answerStarts;

        /// <summary>The server has answered since the last request went up, so the client's next bytes start a request.</summary>
        public bool AwaitingRequest { get => _awaitingRequest; set => _awaitingRequest = value; }

        /// <summary>A request went up since the last answer bytes came down: the next ones start a new answer.</summary>
        public bool AnswerStarts { get => _answerStarts; set => _answerStarts = value; }
    }
}
