using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using ExtensionCache.TestSupport;

namespace ExtensionCache.IntegrationTests.Infrastructure;

/// <summary>
/// A loopback TCP proxy in front of a real server (s3rver) that passes requests through untouched and sends the
/// answers back at a fixed rate, in total or per connection (as S3 and nginx's <c>limit_rate</c> give each
/// connection its own bandwidth), so a download takes a known minimum time. It relays bytes, not HTTP, so
/// the client's SigV4 signature (over the Host header it sent) still verifies at the server. It can also hold the
/// answers after a given number of bytes until <see cref="Release"/>, so a download is known to be part-done when
/// something else (an INIT timeout) happens, however slow the machine.
/// </summary>
public sealed class ThrottlingTcpProxy : TcpRelay
{
    private const int ChunkBytes = 16 * 1024;

    private readonly long _bytesPerSecond;
    private readonly long _holdAfterBytes;
    private readonly bool _perConnection;
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Schedule _total = new();
    private long _bytesDown;

    private ThrottlingTcpProxy(Uri upstream, long bytesPerSecond, long holdAfterBytes, bool perConnection)
        : base(upstream.Host, upstream.Port)
    {
        _bytesPerSecond = bytesPerSecond;
        _holdAfterBytes = holdAfterBytes;
        _perConnection = perConnection;
    }

    /// <summary><c>http://127.0.0.1:port</c> of the proxy.</summary>
    public Uri Url => new($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>Bytes sent from the server to clients so far.</summary>
    public long BytesDown => Interlocked.Read(ref _bytesDown);

    /// <summary>
    /// Starts relaying to <paramref name="upstream"/> (host and port), answers at <paramref name="bytesPerSecond"/> in
    /// total, or on each connection with <paramref name="perConnection"/>; once <paramref name="holdAfterBytes"/> have
    /// been sent, the answers wait for <see cref="Release"/>.
    /// </summary>
    public static ThrottlingTcpProxy Start(Uri upstream, long bytesPerSecond, long holdAfterBytes = long.MaxValue, bool perConnection = false)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        ArgumentOutOfRangeException.ThrowIfLessThan(bytesPerSecond, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(holdAfterBytes, 1);
        var proxy = new ThrottlingTcpProxy(upstream, bytesPerSecond, holdAfterBytes, perConnection);
        proxy.Start();
        return proxy;
    }

    /// <summary>Lets held answers go on (at the fixed rate).</summary>
    public void Release() => _released.TrySetResult();

    protected override (Task Up, Task Down) Pump(NetworkStream client, NetworkStream server)
    {
        var schedule = _perConnection ? new Schedule() : _total;
        return (CopyAsync(client, server, ChunkBytes, beforeWrite: null), CopyAsync(server, client, ChunkBytes, bytes => ThrottleAsync(schedule, bytes)));
    }

    private async Task ThrottleAsync(Schedule schedule, int bytes)
    {
        if (BytesDown + bytes > _holdAfterBytes)
        {
            await _released.Task.WaitAsync(Stopping).ConfigureAwait(false);
        }

        await WaitForSlotAsync(schedule, bytes).ConfigureAwait(false);
        Interlocked.Add(ref _bytesDown, bytes);
    }

    /// <summary>Schedules <paramref name="bytes"/> after every byte already scheduled, at the fixed rate (no credit for idle time).</summary>
    private Task WaitForSlotAsync(Schedule schedule, int bytes)
    {
        TimeSpan wait;
        lock (schedule)
        {
            var now = Stopwatch.GetTimestamp();
            var start = Math.Max(now, schedule.NextSlot);
            schedule.NextSlot = start + (long)(bytes * (double)Stopwatch.Frequency / _bytesPerSecond);
            wait = Stopwatch.GetElapsedTime(now, start);
        }

        return wait > TimeSpan.Zero ? Task.Delay(wait, Stopping) : Task.CompletedTask;
    }

    /// <summary>When the next byte may go, for all connections or one.</summary>
    private sealed class Schedule
    {
        public long NextSlot { get; set; }
    }
}
