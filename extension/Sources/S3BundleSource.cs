using System.Globalization;
using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using ExtensionCache.Extension.Archives;
using ExtensionCache.Extension.Failures;

namespace ExtensionCache.Extension.Sources;

/// <summary>
/// A bundle in S3 (<c>s3://bucket/key</c>, optional <c>?versionId=</c>). The probe is a suffix-range GET, so it
/// needs only <c>s3:GetObject</c> and also returns the tail. The version is the versionId when the bucket is
/// versioned, else the ETag.
/// </summary>
public sealed class S3BundleSource(IAmazonS3 client, string bucket, string key, string? versionId) : IBundleSource
{
    public string DisplayName => $"s3://{bucket}/{key}";

    public async Task<SourceInfo> ProbeAsync(CancellationToken ct)
    {
        var request = new GetObjectRequest
        {
            BucketName = bucket,
            Key = key,
            VersionId = versionId,
            ByteRange = new ByteRange($"bytes=-{ZipCentralDirectory.TailBytes}"),
        };
        try
        {
            using var response = await Call(() => client.GetObjectAsync(request, ct)).ConfigureAwait(false);
            var (end, total) = ParseContentRange(response.ContentRange) ?? (response.ContentLength - 1, response.ContentLength);
            var version = VersionOf(response.VersionId, response.ETag);
            if (end != total - 1)
            {
                // Some S3-compatible servers (s3rver) answer a suffix range with the object's head: not a tail.
                return new SourceInfo(total, version, SupportsRanges: true, ReadOnlyMemory<byte>.Empty, response.ETag);
            }

            var tail = new byte[response.ContentLength];
            await response.ResponseStream.ReadExactlyAsync(tail, ct).ConfigureAwait(false);
            return new SourceInfo(total, version, SupportsRanges: true, tail, response.ETag);
        }
        catch (BundleException ex) when (ex.InnerException is AmazonS3Exception { StatusCode: HttpStatusCode.RequestedRangeNotSatisfiable })
        {
            // An empty object has no satisfiable range.
            var meta = await Call(() => client.GetObjectMetadataAsync(
                new GetObjectMetadataRequest { BucketName = bucket, Key = key, VersionId = versionId }, ct)).ConfigureAwait(false);
            return new SourceInfo(meta.ContentLength, VersionOf(meta.VersionId, meta.ETag), SupportsRanges: true, ReadOnlyMemory<byte>.Empty, meta.ETag);
        }
    }

    public async Task<Stream> OpenRangeAsync(SourceInfo probed, long offset, long length, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(probed);
        var request = new GetObjectRequest
        {
            BucketName = bucket,
            Key = key,
            VersionId = versionId,
            ByteRange = new ByteRange(offset, offset + length - 1),
            EtagToMatch = versionId is null ? probed.ETag : null,
        };
        var response = await Call(() => client.GetObjectAsync(request, ct), probed.ETag).ConfigureAwait(false);
        return new BoundedReadStream(response.ResponseStream, length, response);
    }

    private static string VersionOf(string? version, string? etag) =>
        string.IsNullOrEmpty(version) || version == "null" ? etag ?? string.Empty : version;

    /// <summary>A HEAD with <c>If-None-Match</c> on the published ETag (unversioned) or compared by versionId.</summary>
    public async Task<bool> IsUnchangedAsync(string publishedVersion, CancellationToken ct)
    {
        var request = new GetObjectMetadataRequest { BucketName = bucket, Key = key, VersionId = versionId };
        if (publishedVersion.StartsWith('"'))
        {
            request.EtagToNotMatch = publishedVersion;
        }

        try
        {
            var meta = await client.GetObjectMetadataAsync(request, ct).ConfigureAwait(false);
            return VersionOf(meta.VersionId, meta.ETag) == publishedVersion;
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotModified)
        {
            return true;
        }
        catch (AmazonS3Exception ex)
        {
            throw Translate(ex, null);
        }
        catch (Amazon.Runtime.AmazonServiceException ex) when (ex.InnerException is IOException or HttpRequestException)
        {
            throw new TransientSourceException($"{DisplayName}: {ex.Message}", ex);
        }
    }

    /// <summary>"bytes first-last/total" → (last, total).</summary>
    private static (long End, long Total)? ParseContentRange(string? contentRange)
    {
        if (contentRange is null)
        {
            return null;
        }

        var dash = contentRange.IndexOf('-', StringComparison.Ordinal);
        var slash = contentRange.LastIndexOf('/');
        return dash >= 0 && slash > dash
            && long.TryParse(contentRange.AsSpan(dash + 1, slash - dash - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var end)
            && long.TryParse(contentRange.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var total)
            ? (end, total)
            : null;
    }

    /// <summary>Runs one S3 call, translating its failure; <paramref name="etag"/> is the one a read had to match.</summary>
    private async Task<T> Call<T>(Func<Task<T>> action, string? etag = null)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex)
        {
            throw Translate(ex, etag);
        }
        catch (Amazon.Runtime.AmazonServiceException ex) when (ex.InnerException is IOException or HttpRequestException)
        {
            throw new TransientSourceException($"{DisplayName}: {ex.Message}", ex);
        }
    }

    private Exception Translate(AmazonS3Exception ex, string? etag)
    {
        var arn = $"arn:aws:s3:::{bucket}/{key}";
        var status = (int)ex.StatusCode;
        return ex.StatusCode switch
        {
            HttpStatusCode.NotFound => new BundleException(
                FailureKind.BundleNotFound,
                ex.ErrorCode == "NoSuchBucket"
                    ? $"bucket {bucket} not found (NoSuchBucket) for {DisplayName}"
                    : $"object not found: bucket {bucket}, key {key}{(versionId is null ? string.Empty : $", versionId {versionId}")} ({ex.ErrorCode ?? "404"})",
                ex),
            HttpStatusCode.Forbidden => new BundleException(
                FailureKind.BundleAccessDenied,
                $"access denied to {DisplayName} ({ex.ErrorCode ?? "403"}): the function's role needs s3:GetObject on {arn}"
                    + (versionId is null ? string.Empty : " (and s3:GetObjectVersion for a versionId)"),
                ex),
            HttpStatusCode.PreconditionFailed => new BundleException(
                FailureKind.BundleFetchFailed,
                $"{DisplayName} changed during the download (ETag no longer {etag})",
                ex),
            HttpStatusCode.RequestedRangeNotSatisfiable => new BundleException(
                FailureKind.BundleFetchFailed, $"{DisplayName}: range not satisfiable", ex),
            _ when status is 429 or 503 || ex.ErrorCode is "SlowDown" =>
                new TransientSourceException($"{DisplayName} answered HTTP {status} {ex.ErrorCode}", ex) { Throttled = true },
            _ when status >= 500 || ex.ErrorCode is "RequestTimeout" or "InternalError" =>
                new TransientSourceException($"{DisplayName} answered HTTP {status} {ex.ErrorCode}", ex),
            _ => new BundleException(
                FailureKind.BundleFetchFailed,
                $"{DisplayName} answered HTTP {status} {ex.ErrorCode}: {ex.Message}",
                ex),
        };
    }
}
