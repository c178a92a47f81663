using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Logging;

namespace ExtensionCache.Tests.Configuration;

public sealed class CacheOptionsTests
{
    private const string Sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    private static CacheOptions Load(params (string Key, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Key, v => v.Value);
        return CacheOptions.FromEnvironment(name => map.GetValueOrDefault(name));
    }

    private static IReadOnlyList<string> Errors(params (string Key, string Value)[] variables) =>
        Assert.Throws<CacheOptionsException>(() => Load(variables)).Errors;

    [Theory]
    [InlineData("128", 4 * 1024 * 1024)]
    [InlineData("1023", 4 * 1024 * 1024)]
    [InlineData("1024", 0)]
    [InlineData("3538", 0)]
    public void Parts_are_automatic_from_1024_MB_of_memory_and_fixed_4_MiB_below(string memoryMb, int partSizeBytes)
    {
        var options = Load(("EXTENSION_CACHE_BUNDLES", "deps=s3://my-bucket/deps.zip"), ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memoryMb));

        Assert.Equal(partSizeBytes, options.Limits.PartSizeBytes);
    }

    [Fact]
    public void Defaults_apply_when_only_bundles_are_set()
    {
        var options = Load(("EXTENSION_CACHE_BUNDLES", "deps=s3://my-bucket/deps.zip"));

        Assert.Equal("/tmp/extension-cache", options.Root);
        Assert.Equal(CacheMode.BeforeRegister, options.Mode);
        Assert.Equal(ErrorPolicy.Fail, options.OnError);
        Assert.Equal(10L * 1024 * 1024 * 1024, options.Limits.MaxUnpackedBytes);
        Assert.Equal(200_000, options.Limits.MaxEntries);
        Assert.Equal(4, options.Limits.Concurrency);
        Assert.Equal(0, options.Limits.PartSizeBytes);
        Assert.Equal(1, options.VCpus);
        Assert.Null(options.LogLevel);
        var bundle = Assert.Single(options.Bundles);
        Assert.Equal(new BundleSpec("deps", new S3Location(new Uri("s3://my-bucket/deps.zip"), "my-bucket", "deps.zip", null), BundleFormat.Zip, null), bundle);
    }

    [Fact]
    public void Root_defaults_under_TMPDIR_when_set()
    {
        var options = Load(("EXTENSION_CACHE_BUNDLES", "a=file:///x/a.zip"), ("TMPDIR", "/var/scratch"));
        Assert.Equal("/var/scratch/extension-cache", options.Root);
    }

    [Fact]
    public void Every_variable_is_read()
    {
        var options = Load(
            ("EXTENSION_CACHE_BUNDLES", "a=file:///x/a.zip"),
            ("EXTENSION_CACHE_ROOT", "/mnt/cache/"),
            ("EXTENSION_CACHE_MODE", "Overlap"),
            ("EXTENSION_CACHE_ON_ERROR", "continue"),
            ("EXTENSION_CACHE_MAX_BYTES", "512M"),
            ("EXTENSION_CACHE_MAX_ENTRIES", "1000"),
            ("EXTENSION_CACHE_CONCURRENCY", "3"),
            ("EXTENSION_CACHE_PART_SIZE_MB", "16"),
            ("EXTENSION_CACHE_WORKERS", "5"),
            ("EXTENSION_CACHE_LOG_LEVEL", "debug"));

        Assert.Equal("/mnt/cache", options.Root);
        Assert.Equal(CacheMode.Overlap, options.Mode);
        Assert.Equal(ErrorPolicy.Continue, options.OnError);
        Assert.Equal(new CacheLimits(512L * 1024 * 1024, 1000, 3, 16 * 1024 * 1024, 5), options.Limits);
        Assert.Equal(LogLevel.Debug, options.LogLevel);
    }

    [Theory]
    [InlineData("123", 123L)]
    [InlineData("2G", 2L << 30)]
    [InlineData("2GiB", 2L << 30)]
    [InlineData("64kb", 64L << 10)]
    [InlineData("1T", 1L << 40)]
    public void Max_bytes_accepts_binary_suffixes(string text, long expected)
    {
        var options = Load(("EXTENSION_CACHE_BUNDLES", "a=file:///x/a.zip"), ("EXTENSION_CACHE_MAX_BYTES", text));
        Assert.Equal(expected, options.Limits.MaxUnpackedBytes);
    }

    [Theory]
    [InlineData(null, 1, 4)]
    [InlineData("128", 1, 4)]
    [InlineData("1769", 1, 4)]
    [InlineData("1770", 2, 4)]
    [InlineData("3008", 2, 4)]
    [InlineData("5307", 3, 6)]
    [InlineData("7076", 4, 8)]
    [InlineData("10240", 6, 12)]
    [InlineData("not-a-number", 1, 4)]
    public void Concurrency_defaults_from_function_memory(string? memory, int vCpus, int concurrency)
    {
        var map = new Dictionary<string, string> { ["EXTENSION_CACHE_BUNDLES"] = "a=file:///x/a.zip" };
        if (memory is not null)
        {
            map["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = memory;
        }

        var options = CacheOptions.FromEnvironment(name => map.GetValueOrDefault(name));
        Assert.Equal(vCpus, options.VCpus);
        Assert.Equal(concurrency, options.Limits.Concurrency);
        Assert.Equal(vCpus, options.Limits.Workers);
    }

    [Fact]
    public void Concurrency_variable_overrides_memory()
    {
        var options = Load(("EXTENSION_CACHE_BUNDLES", "a=file:///x/a.zip"), ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "10240"), ("EXTENSION_CACHE_CONCURRENCY", "2"));
        Assert.Equal(2, options.Limits.Concurrency);
    }

    [Fact]
    public void Bundles_of_every_scheme_and_format_parse()
    {
        var options = Load(("EXTENSION_CACHE_BUNDLES",
            $" a=s3://bucket.one/path/to/a.tar.gz?versionId=v1 ; b=https://cdn.example.com/b.TGZ?X-Amz-Signature=abc ;" +
            $"c=http://127.0.0.1:8080/c.tar.zst;d=file:///opt/d.tzst#sha256={Sha.ToUpperInvariant()};" +
            $"e_1.x-y=https://h/blob#format=zip&sha256={Sha};"));

        Assert.Collection(
            options.Bundles,
            a =>
            {
                Assert.Equal("a", a.Name);
                Assert.Equal(BundleFormat.TarGz, a.Format);
                Assert.Equal("bucket.one", a.Source.Host);
                Assert.Equal("?versionId=v1", a.Source.Query);
            },
            b =>
            {
                Assert.Equal(BundleFormat.TarGz, b.Format);
                Assert.Equal("https://cdn.example.com/b.TGZ", b.DisplaySource);
            },
            c => Assert.Equal(BundleFormat.TarZst, c.Format),
            d =>
            {
                Assert.Equal(BundleFormat.TarZst, d.Format);
                Assert.Equal(Sha, d.Sha256);
                Assert.Equal("/opt/d.tzst", d.Source.LocalPath);
                Assert.Equal(string.Empty, d.Source.Fragment);
            },
            e =>
            {
                Assert.Equal("e_1.x-y", e.Name);
                Assert.Equal(BundleFormat.Zip, e.Format);
                Assert.Equal(Sha, e.Sha256);
            });
    }

    [Theory]
    [InlineData("", "is not set")]
    [InlineData(" ; ", "holds no bundle")]
    [InlineData("just-a-name", "no '='")]
    [InlineData("=s3://bucket/a.zip", "the name is empty")]
    [InlineData("../x=s3://bucket/a.zip", "not a plain folder name")]
    [InlineData("..=s3://bucket/a.zip", "not a plain folder name")]
    [InlineData(".hidden=s3://bucket/a.zip", "not starting with '.'")]
    [InlineData("a b=s3://bucket/a.zip", "not a plain folder name")]
    [InlineData("a=s3://bucket/a.zip;a=s3://bucket/b.zip", "used twice")]
    [InlineData("a=ftp://host/a.zip", "scheme 'ftp' is not supported")]
    [InlineData("a=/opt/a.zip", "not an absolute URI")]
    [InlineData("a=s3://Bad_Bucket/a.zip", "not an S3 bucket name")]
    [InlineData("a=s3://bucket", "no object key")]
    [InlineData("a=s3://bucket/a.zip?foo=1", "'foo' is not supported")]
    [InlineData("a=file://host/a.zip", "expected file:///absolute/path")]
    [InlineData("a=https://user:pw@host/a.zip", "credentials")]
    [InlineData("a=https://host/a.bin", "cannot tell the archive format")]
    [InlineData("a=https://host/a.zip#sha256=abc", "expected 64 hexadecimal digits")]
    [InlineData("a=https://host/a.zip#format=rar", "expected format=zip, tar.gz or tar.zst")]
    [InlineData("a=https://host/a.zip#md5=1", "unknown fragment")]
    public void Bad_bundles_are_reported_with_the_variable_and_what_was_expected(string value, string expected)
    {
        var errors = Errors(("EXTENSION_CACHE_BUNDLES", value));
        var error = Assert.Single(errors);
        Assert.StartsWith("EXTENSION_CACHE_BUNDLES", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Contains("expected", error, StringComparison.Ordinal);
        Assert.DoesNotContain("pw@", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Query_strings_never_appear_in_errors()
    {
        var errors = Errors(("EXTENSION_CACHE_BUNDLES", "a b=https://host/a.bin?X-Amz-Signature=SECRET&X-Amz-Credential=KEY;c=https://h/c.zip?sig=SECRET2#sha256=1"));

        Assert.Equal(3, errors.Count);
        Assert.All(errors, e => Assert.DoesNotContain("SECRET", e, StringComparison.Ordinal));
        Assert.All(errors, e => Assert.DoesNotContain("KEY", e, StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("https://host/a.bin?(query hidden)", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("EXTENSION_CACHE_ROOT", "relative/path", "not an absolute path")]
    [InlineData("EXTENSION_CACHE_ROOT", "/", "file system root")]
    [InlineData("EXTENSION_CACHE_MODE", "eager", "expected before-register or overlap")]
    [InlineData("EXTENSION_CACHE_ON_ERROR", "ignore", "expected fail or continue")]
    [InlineData("EXTENSION_CACHE_MAX_BYTES", "lots", "expected a positive number of bytes")]
    [InlineData("EXTENSION_CACHE_MAX_BYTES", "0", "expected a positive number of bytes")]
    [InlineData("EXTENSION_CACHE_MAX_BYTES", "99999999999T", "expected a positive number of bytes")]
    [InlineData("EXTENSION_CACHE_MAX_ENTRIES", "-1", "expected a whole number from 1 to 100,000,000")]
    [InlineData("EXTENSION_CACHE_CONCURRENCY", "65", "expected a whole number from 1 to 64")]
    [InlineData("EXTENSION_CACHE_CONCURRENCY", "0", "expected a whole number from 1 to 64")]
    [InlineData("EXTENSION_CACHE_PART_SIZE_MB", "1.5", "expected a whole number from 1 to 512")]
    [InlineData("EXTENSION_CACHE_WORKERS", "0", "expected a whole number from 1 to 64")]
    [InlineData("EXTENSION_CACHE_LOG_LEVEL", "loud", "expected TRACE, DEBUG, INFO, WARN, ERROR or FATAL")]
    public void Bad_settings_name_the_variable_the_value_and_what_was_expected(string variable, string value, string expected)
    {
        var error = Assert.Single(Errors(("EXTENSION_CACHE_BUNDLES", "a=file:///x/a.zip"), (variable, value)));
        Assert.StartsWith($"{variable}='{value}'", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void All_errors_are_collected_not_just_the_first()
    {
        var errors = Errors(
            ("EXTENSION_CACHE_BUNDLES", "a=ftp://x/a.zip;b=s3://bucket/b.rar"),
            ("EXTENSION_CACHE_MODE", "eager"),
            ("EXTENSION_CACHE_CONCURRENCY", "many"));

        Assert.Equal(4, errors.Count);
        Assert.Contains(errors, e => e.Contains("'ftp'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("b.rar", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("EXTENSION_CACHE_MODE", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("EXTENSION_CACHE_CONCURRENCY", StringComparison.Ordinal));
    }

    [Fact]
    public void Help_lists_every_variable()
    {
        var help = HelpText.For("1.2.3");
        foreach (var variable in new[]
        {
            "EXTENSION_CACHE_BUNDLES", "EXTENSION_CACHE_ROOT", "EXTENSION_CACHE_MODE", "EXTENSION_CACHE_ON_ERROR",
            "EXTENSION_CACHE_MAX_BYTES", "EXTENSION_CACHE_MAX_ENTRIES", "EXTENSION_CACHE_CONCURRENCY",
            "EXTENSION_CACHE_PART_SIZE_MB", "EXTENSION_CACHE_WORKERS", "EXTENSION_CACHE_LOG_LEVEL", "AWS_LAMBDA_LOG_FORMAT",
        })
        {
            Assert.Contains(variable, help, StringComparison.Ordinal);
        }

        Assert.Contains("1.2.3", help, StringComparison.Ordinal);
    }
}
