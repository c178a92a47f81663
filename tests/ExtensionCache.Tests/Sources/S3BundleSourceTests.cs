using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Publishing;
using ExtensionCache.Extension.Sources;
using ExtensionCache.Tests.Fixtures;

namespace ExtensionCache.Tests.Sources;

/// <summary>The S3 source against a real S3 API (s3rver), configured only through the standard environment variables.</summary>
public sealed class S3BundleSourceTests
{
    private const string Bucket = "bundles";

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Downloads_and_publishes_a_zip_from_s3_then_reuses_it_by_etag()
    {
        using var s3 = await S3rverProcess.StartAsync(Bucket);
        // Larger than the probe's tail, so the central directory is found even though s3rver answers a
        // suffix range with the object's head.
        var random = new byte[300_000];
        new Random(9).NextBytes(random);
        var zip = ArchiveBuilder.Zip([.. Archives.ZipRoundTripTests.NodeModulesLike(), ArchiveEntry.File("blob.bin", random)]);
        await UploadAsync(s3, "deps/bundle.zip", zip);
        using var harness = new CacheHarness(new CacheLimits(1 << 30, 1000, 3, 1024), Environment(s3));
        var spec = new BundleSpec("deps", new Uri($"s3://{Bucket}/deps/bundle.zip"), BundleFormat.Zip, null);
        harness.Cache.PrepareRoot([spec]);

        var first = await harness.Cache.PrepareAsync(spec, CancellationToken.None);
        var second = await harness.Cache.PrepareAsync(spec, CancellationToken.None);

        Archives.ZipRoundTripTests.AssertNodeModulesLike(first.PublishedPath);
        Assert.Equal(random, File.ReadAllBytes(Path.Join(first.PublishedPath, "blob.bin")));
        Assert.False(first.Reused);
        Assert.True(second.Reused);
        Assert.Contains("version", second.ReuseReason, StringComparison.Ordinal);
        Assert.Equal(first.Version, second.Version);
    }

    [Fact]
    public async Task A_missing_key_names_bucket_and_key()
    {
        using var s3 = await S3rverProcess.StartAsync(Bucket);
        using var harness = new CacheHarness(null, Environment(s3));
        var spec = new BundleSpec("gone", new Uri($"s3://{Bucket}/no/such.zip"), BundleFormat.Zip, null);

        var error = await harness.FailsAsync(spec);

        Assert.Equal(BundleErrorTypes.NotFound, error.ErrorType);
        Assert.Contains($"bucket {Bucket}", error.Message, StringComparison.Ordinal);
        Assert.Contains("key no/such.zip", error.Message, StringComparison.Ordinal);
        harness.AssertNothingPublished("gone");
    }

    private static Func<string, string?> Environment(S3rverProcess s3) => name => name switch
    {
        "AWS_ENDPOINT_URL_S3" => s3.Endpoint.ToString(),
        "AWS_ACCESS_KEY_ID" => "S3RVER",
        "AWS_SECRET_ACCESS_KEY" => "S3RVER",
        "AWS_REGION" => "us-east-1",
        _ => null,
    };

    private static async Task UploadAsync(S3rverProcess s3, string key, byte[] content)
    {
        using var client = new AmazonS3Client(
            new BasicAWSCredentials("S3RVER", "S3RVER"),
            new AmazonS3Config
            {
                ServiceURL = s3.Endpoint.ToString(),
                ForcePathStyle = true,
                AuthenticationRegion = "us-east-1",
                RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
                ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            });
        await client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = Bucket,
            Key = key,
            InputStream = new MemoryStream(content),
            UseChunkEncoding = false,
        });
    }
}
