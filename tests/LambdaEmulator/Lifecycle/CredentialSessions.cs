using System.Globalization;
using LambdaEmulator.Cli;
using LambdaEmulator.Logs;

namespace LambdaEmulator.Lifecycle;

/// <summary>
/// SnapStart's credentials: the ones the emulator was given (<c>AWS_ACCESS_KEY_ID</c>, <c>AWS_SECRET_ACCESS_KEY</c>,
/// <c>AWS_SESSION_TOKEN</c> from its own environment or <c>--env</c>) reach the sandbox only through the container
/// credentials endpoint, as Lambda serves them to SnapStart functions (its Runtime API server answers
/// <c>GET /2021-04-23/credentials</c> for the <c>AWS_CONTAINER_AUTHORIZATION_TOKEN</c> it set, and updates the credentials
/// at each restore). Each answer belongs to a session that lasts <see cref="EmulatorOptions.CredentialsLifetime"/>: a
/// request in a session's second half, or after it expired, starts the next one, and the restore starts a new one at
/// once, the INIT's session expiring with it. Given temporary credentials (a session token), every session carries
/// that token; otherwise the emulator writes its own, <c>emulator-session-N-issued-MS-expires-MS</c> (Unix
/// milliseconds), so a test server in front of an S3 stand-in can refuse a session that expired or that came before
/// the restore.
/// </summary>
public sealed class CredentialSessions
{
    public const string Path = "/2021-04-23/credentials";
    public const string TokenPrefix = "emulator-session-";

    private readonly Lock _gate = new();
    private readonly string _accessKey;
    private readonly string _secretKey;
    private readonly string? _givenToken;
    private readonly TimeSpan _lifetime;
    private readonly LambdaLog _log;
    private readonly TimeProvider _time;
    private Session? _current;
    private int _sessions;

    private CredentialSessions(string accessKey, string secretKey, string? givenToken, TimeSpan lifetime, LambdaLog log, TimeProvider time)
    {
        _accessKey = accessKey;
        _secretKey = secretKey;
        _givenToken = givenToken;
        _lifetime = lifetime;
        _log = log;
        _time = time;
    }

    /// <summary>The value of <c>AWS_CONTAINER_AUTHORIZATION_TOKEN</c>; it stays the same across the restore (the processes keep their environment).</summary>
    public string AuthorizationToken { get; } = Guid.NewGuid().ToString("N");

    /// <summary>For <c>--snapstart</c> with credentials given; null otherwise.</summary>
    public static CredentialSessions? For(EmulatorOptions options, LambdaLog log, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.SnapStart)
        {
            return null;
        }

        string? Given(string name) => options.Environment.GetValueOrDefault(name) ?? System.Environment.GetEnvironmentVariable(name);
        var key = Given("AWS_ACCESS_KEY_ID");
        var secret = Given("AWS_SECRET_ACCESS_KEY");
        return string.IsNullOrEmpty(key) || string.IsNullOrEmpty(secret)
            ? null
            : new CredentialSessions(key, secret, Given("AWS_SESSION_TOKEN") is { Length: > 0 } token ? token : null, options.CredentialsLifetime, log, time);
    }

    /// <summary>The session an endpoint request gets: the current one, or the next one in the current one's second half.</summary>
    public Session Serve()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            if (_current is null || now >= _current.Expires - (_lifetime / 2))
            {
                _current = Next(now, _current is null ? "first request" : "renewal");
            }

            return _current;
        }
    }

    /// <summary>The restore: the session from before the snapshot expires, the next request gets a new one.</summary>
    public void Restore()
    {
        lock (_gate)
        {
            _current = Next(_time.GetUtcNow(), "restore");
        }
    }

    private Session Next(DateTimeOffset now, string why)
    {
        var number = ++_sessions;
        var expires = now + _lifetime;
        var token = _givenToken ?? string.Create(
            CultureInfo.InvariantCulture,
            $"{TokenPrefix}{number}-issued-{now.ToUnixTimeMilliseconds()}-expires-{expires.ToUnixTimeMilliseconds()}");
        _log.Debug($"credentials session {number} ({why}), expires {expires:HH:mm:ss.fff}");
        return new Session(number, _accessKey, _secretKey, token, now, expires);
    }

    /// <summary>One answer of the endpoint.</summary>
    public sealed record Session(int Number, string AccessKeyId, string SecretAccessKey, string Token, DateTimeOffset Issued, DateTimeOffset Expires);
}
