using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace ExtensionCache.TestSupport;

/// <summary>
/// A reverse proxy (a <see cref="ForwardingServer"/>) in front of s3rver that plays S3's check of a
/// session token, which s3rver does not make (it verifies the signature with its one key, whatever the
/// <c>X-Amz-Security-Token</c>). It accepts only requests carrying a session the LambdaEmulator's SnapStart mode
/// issued (<c>emulator-session-N-issued-MS-expires-MS</c>) that has not expired and was not issued before
/// <see cref="RevokeIssuedBefore"/>; others get S3's answer, 400 <c>InvalidToken</c> (no or an unknown token) or 400
/// <c>ExpiredToken</c>. Accepted requests are forwarded untouched (the Host header as the client sent it, so the
/// signature still verifies). Every request is recorded with its session and verdict.
/// </summary>
public sealed class SessionCheckingProxy : IAsyncDisposable
{
    private const string TokenHeader = "X-Amz-Security-Token";
    private const string Prefix = "emulator-session-";

    private readonly Lock _gate = new();
    private readonly List<SessionRequest> _requests = [];
    private DateTimeOffset _revokedBefore = DateTimeOffset.MinValue;
    private ForwardingServer? _server;

    private SessionCheckingProxy()
    {
    }

    /// <summary>Where clients connect: <c>http://127.0.0.1:port</c>.</summary>
    public Uri Endpoint => _server!.Endpoint;

    /// <summary>Every request received so far, oldest first (a copy).</summary>
    public IReadOnlyList<SessionRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    public static async Task<SessionCheckingProxy> StartAsync(Uri target)
    {
        var proxy = new SessionCheckingProxy();
        proxy._server = await ForwardingServer.StartAsync(target, proxy.HandleAsync).ConfigureAwait(false);
        return proxy;
    }

    /// <summary>From now on a session issued before <paramref name="instant"/> is refused (what a SnapStart restore does to the INIT's session).</summary>
    public void RevokeIssuedBefore(DateTimeOffset instant)
    {
        lock (_gate)
        {
            _revokedBefore = instant;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The session number, issue and expiry of an emulator session token; null for anything else.</summary>
    public static (int Number, DateTimeOffset Issued, DateTimeOffset Expires)? ParseSession(string? token)
    {
        // emulator-session-<n>-issued-<ms>-expires-<ms>
        var parts = token is not null && token.StartsWith(Prefix, StringComparison.Ordinal) ? token[Prefix.Length..].Split('-') : [];
        return parts.Length == 5 && parts[1] == "issued" && parts[3] == "expires"
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var issued)
            && long.TryParse(parts[4], NumberStyles.None, CultureInfo.InvariantCulture, out var expires)
            ? (number, DateTimeOffset.FromUnixTimeMilliseconds(issued), DateTimeOffset.FromUnixTimeMilliseconds(expires))
            : null;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var token = request.Headers[TokenHeader].ToString();
        var session = ParseSession(token);
        var now = DateTimeOffset.UtcNow;
        string? refusal;
        lock (_gate)
        {
            refusal = session is not { } s ? "InvalidToken"
                : s.Expires <= now || s.Issued < _revokedBefore ? "ExpiredToken"
                : null;
            _requests.Add(new SessionRequest(request.Method, request.Path.Value ?? "/", token, session?.Number, refusal, now));
        }

        if (refusal is not null)
        {
            var response = context.Response;
            response.StatusCode = 400;
            response.ContentType = "application/xml";
            response.Headers["x-amz-request-id"] = "SESSIONPROXY";
            var message = refusal == "InvalidToken" ? "The provided token is malformed or otherwise invalid." : "The provided token has expired.";
            await response.WriteAsync(
                $"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{refusal}</Code><Message>{message}</Message><RequestId>SESSIONPROXY</RequestId></Error>",
                context.RequestAborted).ConfigureAwait(false);
            return;
        }

        await _server!.ForwardAsync(context).ConfigureAwait(false);
    }
}

/// <summary>
/// One request the <see cref="SessionCheckingProxy"/> received: its session token and number (null: none or not the
/// emulator's) and why it was refused (null: forwarded).
/// </summary>
public sealed record SessionRequest(string Method, string Path, string Token, int? Session, string? Refusal, DateTimeOffset At);
