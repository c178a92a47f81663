using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Extension.Sources;
using ExtensionCache.TestSupport;
using ExtensionCache.Tests.Fixtures;

namespace ExtensionCache.Tests.Sources;

/// <summary>The S3 source against a real S3 API (s3rver), configured only through the standard environment variables.</summary>
public sealed class S3BundleSourceTests
{
    private const string Bucket = "bundles";

    // Both answers to the probe's suffix range: the tail (real S3), and the object's head (s3rver 3.7.1), where
    // the zip is larger than the probe so the central directory must be found another way.
    [Theory]
    [InlineData(SuffixRanges.AsRealS3)]
    [InlineData(SuffixRanges.AsS3rver)]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Downloads_and_publishes_a_zip_from_s3_then_reuses_it_by_etag(SuffixRanges suffixRanges)
    {
        await using var s3 = await S3rver.StartAsync(Bucket, suffixRanges);
        var random = new byte[300_000];
        new Random(9).NextBytes(random);
        var zip = ArchiveBuilder.Zip([.. Archives.ZipRoundTripTests.NodeModulesLike(), ArchiveEntry.File("blob.bin", random)]);
        await s3.UploadAsync("deps/bundle.zip", zip);
        using var harness = new CacheHarness(new CacheLimits(1 << 30, 1000, 3, 1024), Environment(s3));
        var spec = CacheHarness.Spec("deps", new Uri($"s3://{Bucket}/deps/bundle.zip"), BundleFormat.Zip);
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
        await using var s3 = await S3rver.StartAsync(Bucket);
        using var harness = new CacheHarness(null, Environment(s3));
        var spec = CacheHarness.Spec("gone", new Uri($"s3://{Bucket}/no/such.zip"), BundleFormat.Zip);

        var error = await harness.FailsAsync(spec);

        Assert.Equal(FailureKind.BundleNotFound, error.Kind);
        Assert.Contains($"bucket {Bucket}", error.Message, StringComparison.Ordinal);
        Assert.Contains("key no/such.zip", error.Message, StringComparison.Ordinal);
        harness.AssertNothingPublished("gone");
    }

    // The AWS SDK keeps a process-wide HttpClient that disposing the S3 client leaves open; its idle connections
    // held the last part buffer each (tens of MB of idle RSS). The factory now owns and closes the transport.
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Disposing_the_source_factory_closes_every_connection_the_s3_client_opened()
    {
        await using var s3 = await S3rver.StartAsync(Bucket);
        await s3.UploadAsync("deps/bundle.zip", ArchiveBuilder.Zip(Archives.ZipRoundTripTests.NodeModulesLike()));
        var port = s3.Endpoint.Port;
        var before = EstablishedSocketsTo(port);
        var harness = new CacheHarness(new CacheLimits(1 << 30, 1000, 3, 1024), Environment(s3));
        HashSet<long> opened;
        try
        {
            var spec = CacheHarness.Spec("deps", new Uri($"s3://{Bucket}/deps/bundle.zip"), BundleFormat.Zip);
            harness.Cache.PrepareRoot([spec]);
            await harness.Cache.PrepareAsync(spec, CancellationToken.None);

            // Kept alive after the download: this is what the check below must see go away.
            opened = EstablishedSocketsTo(port);
            opened.ExceptWith(before);
            Assert.NotEmpty(opened);
        }
        finally
        {
            harness.Dispose();
        }

        Assert.True(
            await Poll.UntilAsync(() => !EstablishedSocketsTo(port).Overlaps(opened)),
            "a connection of the extension's S3 client is still open after the factory was disposed");
    }

    /// <summary>Inodes of this process's TCP sockets in state ESTABLISHED to 127.0.0.1:<paramref name="port"/>.</summary>
    private static HashSet<long> EstablishedSocketsTo(int port)
    {
        var ours = new HashSet<long>();
        foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:[", StringComparison.Ordinal))
                {
                    ours.Add(long.Parse(target.AsSpan(8, target.Length - 9), System.Globalization.CultureInfo.InvariantCulture));
                }
            }
            catch (IOException)
            {
                // The descriptor closed while we looked.
            }
        }

        var established = new HashSet<long>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                // sl local_address rem_address st ... inode (field 9)
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var remotePort = int.Parse(fields[2].AsSpan(fields[2].LastIndexOf(':') + 1), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
                var inode = long.Parse(fields[9], System.Globalization.CultureInfo.InvariantCulture);
                if (remotePort == port && fields[3] == "01" && ours.Contains(inode))
                {
                    established.Add(inode);
                }
            }
        }

        return established;
    }

    private static Func<string, string?> Environment(S3rver s3) =>
        name => s3.ExtensionEnvironment.TryGetValue(name, out var value) ? value : null;
}
