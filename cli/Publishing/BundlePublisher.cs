using System.Net;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using ExtensionCache.Cli.Inspecting;
using ExtensionCache.Cli.Packing;
using ExtensionCache.Contract;
using ExtensionCache.Extension.Configuration;

namespace ExtensionCache.Cli.Publishing;

/// <summary>What <c>publish</c> did: the object's key, the archive's sha256, whether it was uploaded, the entry to configure.</summary>
public sealed record PublishResult(string Bucket, string Key, string Sha256, bool Uploaded, string BundlesEntry);

/// <summary>
/// <c>publish</c>: packs a folder (or takes an archive, checked as <c>inspect</c> checks it), then uploads it to the
/// content-addressed key <c>&lt;prefix&gt;&lt;name&gt;-&lt;sha256 first 16 hex&gt;.&lt;ext&gt;</c> unless an object
/// with that key and the same sha256 is already there (one HEAD), and returns the pinned
/// <c>EXTENSION_CACHE_BUNDLES</c> entry.
/// </summary>
public static class BundlePublisher
{
    public const string Sha256MetadataKey = "sha256";

    public static async Task<PublishResult> PublishAsync(string input, string destination, string name, string? format, long? mtime, CancellationToken ct, ZipMethod method = ZipMethod.Auto)
    {
        if (BundleNameRule.Problem(name) is { } problem)
        {
            throw new CliException($"--name '{name}': {problem}");
        }

        var target = S3Target.Parse(destination);
        string? temporary = null;
        try
        {
            string archive;
            BundleFormat bundleFormat;
            if (Directory.Exists(input))
            {
                bundleFormat = Packer.FormatOf(format, "bundle.zip");
                temporary = Directory.CreateTempSubdirectory("extension-cache-publish-").FullName;
                archive = Path.Join(temporary, "bundle." + Packer.ExtensionOf(bundleFormat));
                await Packer.PackAsync(input, archive, bundleFormat, mtime, ct, method).ConfigureAwait(false);
            }
            else if (File.Exists(input))
            {
                archive = input;
                var report = await Inspector.InspectAsync(input, format, ct).ConfigureAwait(false);
                bundleFormat = Packer.FormatOf(report.Format, input);
                var refusals = report.Refusals.Where(r => !r.Contains("content checksum", StringComparison.Ordinal)).ToList();
                if (refusals.Count > 0)
                {
                    throw new PackRefusedException(refusals);
                }
            }
            else
            {
                throw new CliException($"'{input}' does not exist; expected a folder to pack or an archive");
            }

            string sha;
            await using (var read = File.OpenRead(archive))
            {
                sha = Convert.ToHexStringLower(await SHA256.HashDataAsync(read, ct).ConfigureAwait(false));
            }

            var key = $"{target.Prefix}{name}-{sha[..16]}.{Packer.ExtensionOf(bundleFormat)}";
            using var s3 = S3ClientFactory.Create();
            var uploaded = false;
            try
            {
                if (!await ExistsWithSameContentAsync(s3, target.Bucket, key, sha, new FileInfo(archive).Length, ct).ConfigureAwait(false))
                {
                    await MultipartUploader.UploadAsync(s3, target.Bucket, key, archive, new Dictionary<string, string> { [Sha256MetadataKey] = sha }, ct).ConfigureAwait(false);
                    uploaded = true;
                }
            }
            catch (AmazonS3Exception ex)
            {
                throw new CliException(Explain(ex, target.Bucket, key), ExitCodes.RemoteFailed, ex);
            }
            catch (AmazonClientException ex)
            {
                throw new CliException($"cannot reach s3://{target.Bucket}/{key}: {ex.Message}", ExitCodes.RemoteFailed, ex);
            }
            catch (HttpRequestException ex)
            {
                throw new CliException($"cannot reach s3://{target.Bucket}/{key}: {ex.Message}", ExitCodes.RemoteFailed, ex);
            }

            return new PublishResult(target.Bucket, key, sha, uploaded, $"{name}=s3://{target.Bucket}/{key}#sha256={sha}");
        }
        finally
        {
            if (temporary is not null)
            {
                Directory.Delete(temporary, recursive: true);
            }
        }
    }

    /// <summary>A SAM / CloudFormation fragment that sets the variable on a function.</summary>
    public static string SamSnippet(PublishResult result) =>
        $"""
        # SAM / CloudFormation: under the function's Properties
        Environment:
          Variables:
            EXTENSION_CACHE_BUNDLES: "{result.BundlesEntry}"
        Policies:
          - S3ReadPolicy:
              BucketName: {result.Bucket}
        """;

    private static async Task<bool> ExistsWithSameContentAsync(IAmazonS3 s3, string bucket, string key, string sha, long length, CancellationToken ct)
    {
        try
        {
            var head = await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = key }, ct).ConfigureAwait(false);
            return head.ContentLength == length && string.Equals(head.Metadata[Sha256MetadataKey], sha, StringComparison.OrdinalIgnoreCase);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode is not "NoSuchBucket")
        {
            return false;
        }
    }

    private static string Explain(AmazonS3Exception ex, string bucket, string key) =>
        ex.ErrorCode switch
        {
            "NoSuchBucket" => $"bucket '{bucket}' does not exist",
            "AccessDenied" => $"access denied to s3://{bucket}/{key}: the credentials need s3:GetObject and s3:PutObject on arn:aws:s3:::{bucket}/{key}",
            "InvalidAccessKeyId" or "SignatureDoesNotMatch" => $"the AWS credentials were refused for bucket '{bucket}' ({ex.ErrorCode})",
            _ => $"s3://{bucket}/{key}: {(int)ex.StatusCode} {ex.ErrorCode} {ex.Message}",
        };
}
