using System.Globalization;

namespace ExtensionCache.TestSupport;

/// <summary>
/// One fault for <see cref="FaultProxy"/>: what to do (<see cref="Kind"/>) and to which requests. A request
/// matches when its method and Range header fit; of the matching requests, the first <see cref="Skip(int)"/> pass
/// untouched and the next <see cref="Times(int)"/> (all of them when unset) get the fault.
/// Build it fully (the factory, then <see cref="ForMethod"/>, <see cref="ForRange"/>, <see cref="Skip(int)"/>,
/// <see cref="Times(int)"/>) before adding it to the proxy; the counters are updated by the proxy, under its lock.
/// </summary>
/// <example><c>FaultRule.SlowDown().Times(2)</c>: the first two requests get 503 SlowDown, the rest pass.</example>
/// <example><c>FaultRule.ResetAfter(10_000).ForRange(FaultRuleRange.FromOffset).Skip(1).Times(1)</c>: the second
/// ranged part request is cut after 10,000 body bytes.</example>
public sealed class FaultRule
{
    private string? _method;
    private FaultRuleRange _range = FaultRuleRange.Any;
    private int _skip;
    private int? _times;
    private TokenBucket? _bucket;

    private FaultRule(FaultRuleKind kind, int status = 0, string? errorCode = null, string? errorMessage = null, long bytes = 0)
    {
        Kind = kind;
        Status = status;
        ErrorCode = errorCode;
        ErrorMessage = errorMessage;
        Bytes = bytes;
    }

    public FaultRuleKind Kind { get; }

    /// <summary>The HTTP status of an <see cref="FaultRuleKind.Error"/>.</summary>
    public int Status { get; }

    /// <summary>The S3 error code (<c>&lt;Code&gt;</c>) of an <see cref="FaultRuleKind.Error"/>.</summary>
    public string? ErrorCode { get; }

    /// <summary>The S3 error message (<c>&lt;Message&gt;</c>) of an <see cref="FaultRuleKind.Error"/>.</summary>
    public string? ErrorMessage { get; }

    /// <summary>Body bytes passed before a <see cref="FaultRuleKind.ResetAfterBytes"/> or <see cref="FaultRuleKind.ShortBody"/>.</summary>
    public long Bytes { get; }

    /// <summary>Requests that matched this rule's method and range (including those skipped or past its count).</summary>
    public int Matched { get; private set; }

    /// <summary>Requests this rule injected its fault into.</summary>
    public int Injected { get; private set; }

    public static FaultRule Error(int status, string code, string message) => new(FaultRuleKind.Error, status, code, message);

    public static FaultRule SlowDown() => Error(503, "SlowDown", "Please reduce your request rate.");

    public static FaultRule InternalError() => Error(500, "InternalError", "We encountered an internal error. Please try again.");

    public static FaultRule AccessDenied() => Error(403, "AccessDenied", "Access Denied");

    public static FaultRule NoSuchKey() => Error(404, "NoSuchKey", "The specified key does not exist.");

    /// <summary>
    /// S3's request-rate limit, scaled: a token bucket of <paramref name="burst"/> requests refilled at
    /// <paramref name="perSecond"/>; a matching request that finds it empty gets 503 SlowDown with S3's XML body,
    /// the others pass. A throttled request takes no token; <see cref="Skip(int)"/> and <see cref="Times(int)"/> do not apply.
    /// </summary>
    public static FaultRule RateLimit(double perSecond, int burst, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perSecond);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(burst);
        var rule = SlowDown();
        rule._bucket = new TokenBucket(perSecond, burst, time ?? TimeProvider.System);
        return rule;
    }

    /// <summary>Abort the connection on arrival, before any response: the client sees a connection reset.</summary>
    public static FaultRule Reset() => new(FaultRuleKind.Reset);

    /// <summary>Forward, then abort the connection after <paramref name="bytes"/> body bytes (see <see cref="FaultProxyBodyStream"/>).</summary>
    public static FaultRule ResetAfter(long bytes) => new(FaultRuleKind.ResetAfterBytes, bytes: bytes);

    /// <summary>Forward, pass only <paramref name="bytes"/> body bytes, then end the response short of its Content-Length.</summary>
    public static FaultRule ShortBodyAfter(long bytes) => new(FaultRuleKind.ShortBody, bytes: bytes);

    /// <summary>Hold the request without answering until the client gives up or the proxy is disposed.</summary>
    public static FaultRule Stall() => new(FaultRuleKind.Stall);

    /// <summary>Only requests with this method (GET, HEAD, ...).</summary>
    public FaultRule ForMethod(string method)
    {
        _method = method;
        return this;
    }

    /// <summary>Only requests whose Range header is of this kind.</summary>
    public FaultRule ForRange(FaultRuleRange range)
    {
        _range = range;
        return this;
    }

    /// <summary>Let the first <paramref name="count"/> matching requests through before injecting.</summary>
    public FaultRule Skip(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        _skip = count;
        return this;
    }

    /// <summary>Inject into at most <paramref name="count"/> requests (after the skipped ones); unset means every one.</summary>
    public FaultRule Times(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        _times = count;
        return this;
    }

    public override string ToString()
    {
        var what = Kind switch
        {
            FaultRuleKind.Error => $"{Status} {ErrorCode}",
            FaultRuleKind.Reset => "reset before the response",
            FaultRuleKind.ResetAfterBytes => $"reset after {Bytes} bytes",
            FaultRuleKind.ShortBody => $"short body after {Bytes} bytes",
            _ => "stall",
        };
        if (_bucket is { } bucket)
        {
            return $"{what} past {bucket.PerSecond.ToString(CultureInfo.InvariantCulture)} requests/s (burst {bucket.Burst}) for {_method ?? "any method"}";
        }

        var times = _times is { } n ? n.ToString(CultureInfo.InvariantCulture) : "every";
        return $"{what} for {_method ?? "any method"}, range {_range}, skip {_skip}, {times} time(s)";
    }

    /// <summary>Called by the proxy under its lock: counts a matching request and says whether this one gets the fault.</summary>
    internal bool TryApply(string method, string? range)
    {
        if (!MatchesMethod(method) || !MatchesRange(range))
        {
            return false;
        }

        Matched++;
        if (_bucket is { } bucket)
        {
            if (bucket.TryTake())
            {
                return false;
            }

            Injected++;
            return true;
        }

        if (Matched <= _skip || (_times is { } times && Injected >= times))
        {
            return false;
        }

        Injected++;
        return true;
    }

    private bool MatchesMethod(string method) => _method is null || string.Equals(_method, method, StringComparison.OrdinalIgnoreCase);

    private bool MatchesRange(string? range) => _range switch
    {
        FaultRuleRange.Any => true,
        FaultRuleRange.None => string.IsNullOrEmpty(range),
        FaultRuleRange.Suffix => range is not null && range.StartsWith("bytes=-", StringComparison.Ordinal),
        FaultRuleRange.FromOffset => range is not null && range.StartsWith("bytes=", StringComparison.Ordinal) && !range.StartsWith("bytes=-", StringComparison.Ordinal),
        _ => false,
    };
}
