using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Http;

namespace ExtensionCache.Tests.Fixtures;

/// <summary>
/// A real HTTP server on 127.0.0.1 (<see cref="LoopbackHttpHost"/>) serving one object with byte ranges and an ETag,
/// counting requests, and injecting faults: a 503 for the first request of chosen ranges, no range support, a fixed
/// status.
/// </summary>
public sealed class LoopbackHttpServer : IDisposable
{
    private readonly LoopbackHttpHost _host;
    private readonly ConcurrentDictionary<long, int> _failedOnce = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _holding = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _requests;
    private long _bytesSent;
    private int _active;
    private int _maxActive;

    public LoopbackHttpServer(byte[] content, string etag = "\"v1\"")
    {
        Content = content;
        ETag = etag;
        _host = LoopbackHttpHost.Start(ServeAsync);
        BaseUri = _host.BaseUri;
    }

    public Uri BaseUri { get; }

    public Uri ObjectUri => new(BaseUri, "bundle.zip?X-Amz-Signature=secret123&X-Amz-Expires=60");

    public byte[] Content { get; set; }

    public string ETag { get; set; }

    public bool SupportsRanges { get; set; } = true;

    public HttpStatusCode? StatusOverride { get; set; }

    /// <summary>Range start offsets whose first request gets a 503 (SlowDown).</summary>
    public ISet<long> FailOnceAtOffsets { get; } = new HashSet<long>();

    /// <summary>Range start offsets whose first request sends only half the body and then drops the connection.</summary>
    public ISet<long> TruncateOnceAtOffsets { get; } = new HashSet<long>();

    /// <summary>Range start offsets whose first request is never answered (a stalled connection).</summary>
    public ISet<long> StallOnceAtOffsets { get; } = new HashSet<long>();

    /// <summary>When set, each ranged body is sent in <see cref="TricklePieces"/> pieces with this pause between them (slow but moving).</summary>
    public TimeSpan TrickleDelay { get; set; }

    /// <summary>How many pieces a trickled body is sent in (five unless set).</summary>
    public int TricklePieces { get; set; } = 5;

    /// <summary>Delay before each ranged body, so concurrent requests overlap observably.</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>Ranged requests (not the suffix probe) starting at or after this offset wait for <see cref="Release"/>: a download held part-way.</summary>
    public long HoldFromOffset { get; set; } = long.MaxValue;

    /// <summary>A ranged answer sends this many body bytes, then waits for <see cref="Release"/> before the rest.</summary>
    public long PauseBodyAfterBytes { get; set; } = long.MaxValue;

    /// <summary>Completes when a request is first held, so a test acts once the earlier parts were served.</summary>
    public Task Holding => _holding.Task;

    /// <summary>The most ranged requests the server was answering at the same time.</summary>
    public int MaxConcurrentRanges => Volatile.Read(ref _maxActive);

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Body bytes the server has sent (the full length of every 200 and 206 it answered).</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    public ConcurrentQueue<string> RangeHeaders { get; } = new();

    public void Release() => _release.TrySetResult();

    public void Dispose()
    {
        _stop.Cancel();
        _host.Dispose();
        _stop.Dispose();
    }

    private async Task ServeAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        var response = context.Response;
        try
        {
            var content = Content;
            if (StatusOverride is { } status)
            {
                response.StatusCode = (int)status;
                return;
            }

            response.Headers["ETag"] = ETag;
            var range = context.Request.Headers.Range.Count > 0 ? context.Request.Headers.Range.ToString() : null;
            RangeHeaders.Enqueue(range ?? "(none)");
            if (!SupportsRanges || range is null)
            {
                response.StatusCode = 200;
                response.ContentLength = content.Length;
                Interlocked.Add(ref _bytesSent, content.Length);
                await response.Body.WriteAsync(content);
                return;
            }

            var spec = range["bytes=".Length..];
            long start;
            long end;
            if (spec.StartsWith('-'))
            {
                var suffix = long.Parse(spec[1..], CultureInfo.InvariantCulture);
                start = Math.Max(0, content.Length - suffix);
                end = content.Length - 1;
            }
            else
            {
                var parts = spec.Split('-');
                start = long.Parse(parts[0], CultureInfo.InvariantCulture);
                end = parts[1].Length == 0 ? content.Length - 1 : Math.Min(content.Length - 1, long.Parse(parts[1], CultureInfo.InvariantCulture));
            }

            if (content.Length == 0 || start >= content.Length)
            {
                response.StatusCode = 416;
                response.Headers["Content-Range"] = $"bytes */{content.Length}";
                return;
            }

            if (!spec.StartsWith('-') && start >= HoldFromOffset)
            {
                _holding.TrySetResult();
                await _release.Task.WaitAsync(_stop.Token);
            }

            lock (FailOnceAtOffsets)
            {
                if (FailOnceAtOffsets.Contains(start) && _failedOnce.TryAdd(start, 1))
                {
                    response.StatusCode = 503;
                    return;
                }
            }

            bool stall;
            lock (StallOnceAtOffsets)
            {
                stall = StallOnceAtOffsets.Contains(start) && _failedOnce.TryAdd(long.MinValue + start, 1);
            }

            if (stall)
            {
                await Task.Delay(Timeout.Infinite, _stop.Token);
            }

            var active = Interlocked.Increment(ref _active);
            try
            {
                int seen;
                while (active > (seen = Volatile.Read(ref _maxActive)) && Interlocked.CompareExchange(ref _maxActive, active, seen) != seen)
                {
                }

                if (Latency > TimeSpan.Zero)
                {
                    await Task.Delay(Latency, _stop.Token);
                }
            }
            finally
            {
                Interlocked.Decrement(ref _active);
            }

            var length = (int)(end - start + 1);
            response.StatusCode = 206;
            response.Headers["Content-Range"] = $"bytes {start}-{end}/{content.Length}";
            response.ContentLength = length;
            Interlocked.Add(ref _bytesSent, length);
            bool truncate;
            lock (TruncateOnceAtOffsets)
            {
                truncate = TruncateOnceAtOffsets.Contains(start) && _failedOnce.TryAdd(-start - 1, 1);
            }

            if (truncate)
            {
                await response.Body.WriteAsync(content.AsMemory((int)start, length / 2));
                await response.Body.FlushAsync();
                context.Abort();
                return;
            }

            if (TrickleDelay > TimeSpan.Zero)
            {
                var piece = (length + TricklePieces - 1) / TricklePieces;
                for (var sent = 0; sent < length; sent += piece)
                {
                    await response.Body.WriteAsync(content.AsMemory((int)start + sent, Math.Min(piece, length - sent)));
                    await response.Body.FlushAsync();
                    await Task.Delay(TrickleDelay, _stop.Token);
                }
            }
            else if (PauseBodyAfterBytes < length)
            {
                var first = (int)PauseBodyAfterBytes;
                await response.Body.WriteAsync(content.AsMemory((int)start, first));
                await response.Body.FlushAsync();
                _holding.TrySetResult();
                await _release.Task.WaitAsync(_stop.Token);
                await response.Body.WriteAsync(content.AsMemory((int)start + first, length - first));
            }
            else
            {
                await response.Body.WriteAsync(content.AsMemory((int)start, length));
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
            context.Abort();
        }
        catch (IOException)
        {
            // The client went away (a cancelled part); nothing to answer.
        }
    }
}
