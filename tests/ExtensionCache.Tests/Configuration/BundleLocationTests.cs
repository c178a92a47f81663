using ExtensionCache.Extension.Configuration;

namespace ExtensionCache.Tests.Configuration;

/// <summary>The parser hands each bundle's location on typed by scheme, so no later step parses the URI again.</summary>
public sealed class BundleLocationTests
{
    [Fact]
    public void An_s3_uri_becomes_bucket_unescaped_key_and_versionId()
    {
        var location = Assert.IsType<S3Location>(Parse("s3://bucket.one/path/to/my%20deps.zip?versionId=v1%2Bx"));

        Assert.Equal("bucket.one", location.Bucket);
        Assert.Equal("path/to/my deps.zip", location.Key);
        Assert.Equal("v1+x", location.VersionId);
    }

    [Fact]
    public void An_s3_uri_without_a_versionId_has_none()
    {
        var location = Assert.IsType<S3Location>(Parse("s3://bucket/deps.zip"));

        Assert.Null(location.VersionId);
    }

    [Fact]
    public void An_https_url_keeps_its_query_for_the_request()
    {
        var location = Assert.IsType<HttpLocation>(Parse("https://cdn.example.com/b.tgz?X-Amz-Signature=abc"));

        Assert.Equal("?X-Amz-Signature=abc", location.Uri.Query);
    }

    [Fact]
    public void A_file_uri_becomes_its_local_path()
    {
        var location = Assert.IsType<FileLocation>(Parse("file:///opt/my%20d.tzst"));

        Assert.Equal("/opt/my d.tzst", location.Path);
    }

    private static BundleLocation Parse(string uri)
    {
        var options = CacheOptions.FromEnvironment(name => name == "EXTENSION_CACHE_BUNDLES" ? $"x={uri}" : null);
        return Assert.Single(options.Bundles).Location;
    }
}
