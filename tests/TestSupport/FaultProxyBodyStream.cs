namespace ExtensionCache.TestSupport;

/// <summary>
/// The response body as <see cref="FaultProxy"/> writes it to the client: the first <c>limit</c> bytes pass, then
/// either the connection is aborted (<c>abort</c> given: a reset mid-body) or the rest is silently dropped, so the
/// response ends short of its Content-Length and the server closes the connection.
/// Before aborting, the bytes are flushed and the connection is held open briefly: an abort is a TCP reset, and on
/// Linux a reset that overtakes unread data discards it, so without the pause the client could see a reset before
/// the response instead of one mid-body (that case is <see cref="FaultRuleKind.Reset"/>).
/// </summary>
internal sealed class FaultProxyBodyStream(Stream inner, long limit, Action? abort) : Stream
{
    private static readonly TimeSpan ReadByClient = TimeSpan.FromMilliseconds(200);

    private long _written;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var pass = (int)Math.Clamp(limit - _written, 0, buffer.Length);
        if (pass > 0)
        {
            await inner.WriteAsync(buffer[..pass], cancellationToken).ConfigureAwait(false);
            _written += pass;
        }

        if (pass == buffer.Length)
        {
            return;
        }

        if (abort is not null)
        {
            await inner.FlushAsync(cancellationToken).ConfigureAwait(false);
            await Task.Delay(ReadByClient, cancellationToken).ConfigureAwait(false);
            abort();
            throw new IOException($"fault proxy: connection aborted after {_written} body bytes");
        }
    }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
