using Amazon.S3;
using Amazon.S3.Model;

namespace ExtensionCache.Cli.Publishing;

/// <summary>
/// Uploads a file with parts in parallel (one PutObject below <see cref="PartSize"/>). Hand-written over the
/// low-level API rather than TransferUtility because TransferUtility cannot turn off aws-chunked payload framing
/// (<c>UseChunkEncoding</c>), which some S3-compatible servers store as part of the object. An upload that fails is
/// aborted, so no parts are left behind.
/// </summary>
public static class MultipartUploader
{
    public const int PartSize = 16 * 1024 * 1024;

    public static async Task UploadAsync(IAmazonS3 s3, string bucket, string key, string file, IDictionary<string, string> metadata, CancellationToken ct)
    {
        var length = new FileInfo(file).Length;
        if (length <= PartSize)
        {
            var put = new PutObjectRequest { BucketName = bucket, Key = key, FilePath = file, UseChunkEncoding = false, ContentType = "application/octet-stream" };
            foreach (var (name, value) in metadata)
            {
                put.Metadata[name] = value;
            }

            await s3.PutObjectAsync(put, ct).ConfigureAwait(false);
            return;
        }

        var start = new InitiateMultipartUploadRequest { BucketName = bucket, Key = key, ContentType = "application/octet-stream" };
        foreach (var (name, value) in metadata)
        {
            start.Metadata[name] = value;
        }

        var upload = await s3.InitiateMultipartUploadAsync(start, ct).ConfigureAwait(false);
        try
        {
            var parts = (int)((length + PartSize - 1) / PartSize);
            var etags = new PartETag[parts];
            await Parallel.ForAsync(0, parts, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (i, token) =>
            {
                var offset = (long)i * PartSize;
                var response = await s3.UploadPartAsync(
                    new UploadPartRequest
                    {
                        BucketName = bucket,
                        Key = key,
                        UploadId = upload.UploadId,
                        PartNumber = i + 1,
                        FilePath = file,
                        FilePosition = offset,
                        PartSize = Math.Min(PartSize, length - offset),
                        UseChunkEncoding = false,
                    },
                    token).ConfigureAwait(false);
                etags[i] = new PartETag(i + 1, response.ETag);
            }).ConfigureAwait(false);
            await s3.CompleteMultipartUploadAsync(
                new CompleteMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = upload.UploadId, PartETags = [.. etags] },
                ct).ConfigureAwait(false);
        }
        catch
        {
            await s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = upload.UploadId }, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }
}
