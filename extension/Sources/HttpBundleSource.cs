using System.Net;
using System.Net.Http.Headers;
using ExtensionCache.Extension.Archives;
using ExtensionCache.Extension.Failures;

namespace ExtensionCache.Extension.Sources;

/// <summary>
/// A bundle behind an HTTP(S) URL, for example an S3 presigned URL. A presigned GET URL does not allow HEAD,
/// so the probe is a suffix-range GET that also returns the object's tail. Plain http is accepted too (loopback
/// test servers, private mirrors); the query string is never logged.
/// </summary>
public sealed class HttpBundleSource(HttpClient client, Uri url, string displayName) : IBundleSource
{
    public string DisplayName => displayName;

    public async Task<SourceInfo> ProbeAsync(CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Range = new RangeHeaderValue(null, ZipCentralDirectory.TailBytes);
        using var response = await SendAsync(request, ct).ConfigureAwait(false);
        var version = VersionOf(response);
        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            // An empty object: no byte range can be satisfied.
            return new SourceInfo(0, version, SupportsRanges: false, ReadOnlyMemory<byte>.Empty);
        }

        if (response.StatusCode == HttpStatusCode.PartialContent && response.Content.Headers.ContentRange is { Length: { } total } range)
        {
            if (range.To != total - 1)
            {
                // A server that answered the suffix range with some other range: ranges work, the tail is fetched later.
                return new SourceInfo(total, version, SupportsRanges: true, ReadOnlyMemory<byte>.Empty);
            }

            var tail = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            return new SourceInfo(total, version, SupportsRanges: true, tail);
        }

        // The server ignored the range: it streams the whole object, so do not read the body here.
        var length = response.Content.Headers.ContentLength
            ?? throw new BundleException(
                FailureKind.BundleFetchFailed,
                $"{displayName} answered without a length and without range support; cannot size the download");
        return new SourceInfo(length, version, SupportsRanges: false, ReadOnlyMemory<byte>.Empty);
    }

    public async Task<Stream> OpenRangeAsync(SourceInfo probed, long offset, long length, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(probed);
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Range = new RangeHeaderValue(offset, offset + length - 1);
        var response = await SendAsync(request, ct).ConfigureAwait(false);
        try
        {
            var ranged = response.StatusCode == HttpStatusCode.PartialContent;
            if (!ranged && offset != 0)
            {
                throw new BundleException(
                    FailureKind.BundleFetchFailed,
                    $"{displayName} stopped honouring byte ranges (HTTP {(int)response.StatusCode})");
            }

            var version = VersionOf(response);
            if (probed.VersionId is { Length: > 0 } known && version.Length > 0 && version != known)
            {
                throw new BundleException(
                    FailureKind.BundleFetchFailed,
                    $"{displayName} changed during the download (ETag {known} became {version})");
            }

            var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            return new BoundedReadStream(body, length, new Disposables(request, response));
        }
        catch
        {
            response.Dispose();
            request.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A GET of the last byte with <c>If-None-Match</c> (or <c>If-Modified-Since</c> when the version is a date):
    /// 304 means unchanged; a server that ignores the condition answers one byte and its version is compared.
    /// A GET, not a HEAD, because a presigned GET URL does not allow HEAD.
    /// </summary>
    public async Task<bool> IsUnchangedAsync(string publishedVersion, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Range = new RangeHeaderValue(null, 1);
        if (EntityTagHeaderValue.TryParse(publishedVersion, out var etag))
        {
            request.Headers.IfNoneMatch.Add(etag);
        }
        else if (DateTimeOffset.TryParse(publishedVersion, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var modified))
        {
            request.Headers.IfModifiedSince = modified;
        }

        using var response = await SendAsync(request, ct).ConfigureAwait(false);
        return response.StatusCode == HttpStatusCode.NotModified || (publishedVersion.Length > 0 && VersionOf(response) == publishedVersion);
    }

    private static string VersionOf(HttpResponseMessage response) =>
        response.Headers.ETag?.ToString()
        ?? response.Content.Headers.LastModified?.ToString("R", System.Globalization.CultureInfo.InvariantCulture)
        ?? string.Empty;

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            // The message of HttpRequestException may carry the full URL; keep only the display form.
            throw new TransientSourceException($"{displayName}: {ex.HttpRequestError}", ex);
        }

        var status = (int)response.StatusCode;
        if (response.IsSuccessStatusCode || response.StatusCode is HttpStatusCode.RequestedRangeNotSatisfiable or HttpStatusCode.NotModified)
        {
            return response;
        }

        response.Dispose();
        throw response.StatusCode switch
        {
            HttpStatusCode.NotFound => new BundleException(
                FailureKind.BundleNotFound,
                $"{displayName} not found (HTTP 404): the object does not exist at that URL"),
            HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized => new BundleException(
                FailureKind.BundleAccessDenied,
                $"{displayName} refused access (HTTP {status}): the URL has expired or its signer lacks s3:GetObject on the object"),
            HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable => new TransientSourceException(
                $"{displayName} answered HTTP {status} (throttled)") { Throttled = true },
            HttpStatusCode.RequestTimeout => new TransientSourceException($"{displayName} answered HTTP {status}"),
            _ when status >= 500 => new TransientSourceException($"{displayName} answered HTTP {status}"),
            _ => new BundleException(FailureKind.BundleFetchFailed, $"{displayName} answered HTTP {status}"),
        };
    }
}
