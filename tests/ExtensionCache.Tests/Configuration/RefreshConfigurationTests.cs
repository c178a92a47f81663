using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Lambda;
using ExtensionCache.Extension.Lifecycle;

namespace ExtensionCache.Tests.Configuration;

public sealed class RefreshConfigurationTests
{
    private const string Sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    private static CacheOptions Load(params (string Key, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Key, v => v.Value);
        return CacheOptions.FromEnvironment(name => map.GetValueOrDefault(name));
    }

    private static IReadOnlyList<string> Errors(params (string Key, string Value)[] variables) =>
        Assert.Throws<CacheOptionsException>(() => Load(variables)).Errors;

    [Fact]
    public void Refresh_is_off_by_default_and_only_SHUTDOWN_is_registered()
    {
        var options = Load(("EXTENSION_CACHE_BUNDLES", "a=s3://my-bucket/a.zip"));

        Assert.False(options.AnyRefresh);
        Assert.Equal(0, Assert.Single(options.Bundles).RefreshSeconds);
        Assert.Equal([ExtensionEventType.Shutdown], ExtensionHost.EventsFor(options));
        Assert.True(options.Metrics);
        Assert.Equal(TimeSpan.FromMilliseconds(CacheOptions.DefaultRefreshWaitMs), options.Refresh.InvokeWait);
    }

    [Fact]
    public void The_variable_applies_to_every_bundle_and_a_fragment_overrides_it()
    {
        var options = Load(
            ("EXTENSION_CACHE_BUNDLES", "a=s3://my-bucket/a.zip;b=https://host/b.zip#refresh=30;c=file:///x/c.zip#refresh=0"),
            ("EXTENSION_CACHE_REFRESH_SECONDS", "300"));

        Assert.Equal([300, 30, 0], options.Bundles.Select(b => b.RefreshSeconds));
        Assert.True(options.AnyRefresh);
        Assert.Equal([ExtensionEventType.Invoke, ExtensionEventType.Shutdown], ExtensionHost.EventsFor(options));
    }

    [Fact]
    public void A_fragment_alone_turns_refresh_on_for_its_bundle()
    {
        var options = Load(("EXTENSION_CACHE_BUNDLES", "a=s3://my-bucket/a.zip;b=s3://my-bucket/b.zip#format=zip&refresh=60"));

        Assert.Equal([0, 60], options.Bundles.Select(b => b.RefreshSeconds));
    }

    [Fact]
    public void A_pinned_bundle_never_refreshes()
    {
        var options = Load(
            ("EXTENSION_CACHE_BUNDLES", $"a=s3://my-bucket/a.zip#sha256={Sha};b=s3://my-bucket/b.zip?versionId=v1;c=s3://my-bucket/c.zip"),
            ("EXTENSION_CACHE_REFRESH_SECONDS", "60"));

        Assert.Equal([0, 0, 60], options.Bundles.Select(b => b.RefreshSeconds));
    }

    [Fact]
    public void A_refresh_fragment_beside_a_pin_is_refused_naming_the_bundle()
    {
        var error = Assert.Single(Errors(("EXTENSION_CACHE_BUNDLES", $"a=s3://my-bucket/a.zip#sha256={Sha}&refresh=60")));

        Assert.Contains("entry 'a=s3://my-bucket/a.zip", error, StringComparison.Ordinal);
        Assert.Contains("#refresh=60", error, StringComparison.Ordinal);
        Assert.Contains("never refreshes", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("soon")]
    [InlineData("604801")]
    public void A_bad_refresh_variable_names_the_variable_the_value_and_the_range(string value)
    {
        var error = Assert.Single(Errors(("EXTENSION_CACHE_BUNDLES", "a=file:///x/a.zip"), ("EXTENSION_CACHE_REFRESH_SECONDS", value)));

        Assert.Equal($"EXTENSION_CACHE_REFRESH_SECONDS='{value}' is not valid; expected a whole number from 0 to 604,800", error);
    }

    [Theory]
    [InlineData("a=file:///x/a.zip#refresh=", "'#refresh=' is not valid")]
    [InlineData("a=file:///x/a.zip#refresh=1m", "'#refresh=1m' is not valid; expected a whole number of seconds")]
    [InlineData("a=file:///x/a.zip#refresh=5&refresh=6", "'#refresh' is given twice")]
    public void A_bad_refresh_fragment_names_the_bundle_and_what_was_expected(string entry, string expected)
    {
        var error = Assert.Single(Errors(("EXTENSION_CACHE_BUNDLES", entry)));

        Assert.StartsWith("EXTENSION_CACHE_BUNDLES entry 'a=", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void On_Managed_Instances_refresh_registers_SHUTDOWN_only()
    {
        var options = Load(
            ("EXTENSION_CACHE_BUNDLES", "a=file:///x/a.zip"),
            ("EXTENSION_CACHE_REFRESH_SECONDS", "60"),
            ("AWS_LAMBDA_INITIALIZATION_TYPE", "lambda-managed-instances"));

        Assert.True(options.ManagedInstances);
        Assert.Equal(InitializationType.ManagedInstances, options.Initialization);
        Assert.True(options.AnyRefresh);
        Assert.Equal([ExtensionEventType.Shutdown], ExtensionHost.EventsFor(options));
    }

    [Fact]
    public void The_wait_and_metrics_variables_are_read_and_validated()
    {
        var options = Load(
            ("EXTENSION_CACHE_BUNDLES", "a=file:///x/a.zip"),
            ("EXTENSION_CACHE_REFRESH_WAIT_MS", "0"),
            ("EXTENSION_CACHE_METRICS", "OFF"));
        Assert.Equal(TimeSpan.Zero, options.Refresh.InvokeWait);
        Assert.False(options.Metrics);

        var errors = Errors(
            ("EXTENSION_CACHE_BUNDLES", "a=file:///x/a.zip"),
            ("EXTENSION_CACHE_REFRESH_WAIT_MS", "20000"),
            ("EXTENSION_CACHE_METRICS", "maybe"));
        Assert.Contains("EXTENSION_CACHE_REFRESH_WAIT_MS='20000' is not valid; expected a whole number from 0 to 10,000", errors);
        Assert.Contains("EXTENSION_CACHE_METRICS='maybe' is not valid; expected on or off", errors);
    }
}
