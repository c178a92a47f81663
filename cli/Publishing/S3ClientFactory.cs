using Amazon;
using Amazon.Runtime;
using Amazon.S3;

namespace ExtensionCache.Cli.Publishing;

/// <summary>
/// The S3 client <c>publish</c> uses: the SDK's usual credential chain, the region from <c>AWS_REGION</c> or
/// <c>AWS_DEFAULT_REGION</c> (us-east-1 otherwise), and <c>AWS_ENDPOINT_URL_S3</c> / <c>AWS_ENDPOINT_URL</c> with
/// path-style addressing for S3-compatible servers. Checksums only where S3 requires them.
/// </summary>
public static class S3ClientFactory
{
    public static AmazonS3Client Create()
    {
        var region = Environment.GetEnvironmentVariable("AWS_REGION") ?? Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION") ?? "us-east-1";
        var endpoint = Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3") ?? Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL");
        var config = new AmazonS3Config
        {
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            MaxErrorRetry = 3,
        };
        if (!string.IsNullOrEmpty(endpoint))
        {
            config.ServiceURL = endpoint;
            config.ForcePathStyle = true;
            config.AuthenticationRegion = region;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }

        try
        {
            return new AmazonS3Client(config);
        }
        catch (AmazonClientException ex)
        {
            throw new CliException($"no AWS credentials: {ex.Message} (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run where a role is available)", ExitCodes.RemoteFailed, ex);
        }
    }
}
