using ExtensionCache.Extension.Failures;

namespace ExtensionCache.Tests.Failures;

/// <summary>Each failure kind has its own <c>Extension.*</c> error type, and a bundle's name is put in front once.</summary>
public sealed class FailureKindTests
{
    [Fact]
    public void Every_kind_maps_to_its_own_extension_error_type()
    {
        var types = Enum.GetValues<FailureKind>().Select(k => k.ErrorType()).ToList();

        Assert.All(types, t => Assert.Matches("^Extension\\.[A-Z][A-Za-z]+$", t));
        Assert.Equal(types.Count, types.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal("Extension.BundleNotFound", FailureKind.BundleNotFound.ErrorType());
        Assert.Equal("Extension.ConfigInvalid", FailureKind.ConfigInvalid.ErrorType());
    }

    [Fact]
    public void A_failure_attributed_to_a_bundle_names_it_once_and_keeps_kind_reason_and_cause()
    {
        var cause = new BundleException(FailureKind.BundleIntegrity, "entry 'a.txt' is corrupt");

        var attributed = cause.ForBundle("deps");

        Assert.Equal("bundle deps: entry 'a.txt' is corrupt", attributed.Message);
        Assert.Equal("deps", attributed.Bundle);
        Assert.Equal("entry 'a.txt' is corrupt", attributed.Reason);
        Assert.Equal(FailureKind.BundleIntegrity, attributed.Kind);
        Assert.Equal("Extension.BundleIntegrity", attributed.ErrorType);
        Assert.Same(cause, attributed.InnerException);
    }
}
