using ExtensionCache.Extension.Failures;

namespace ExtensionCache.Extension.Bundles;

/// <summary>
/// What one refresh check did: <paramref name="Published"/> is the new version when one was published, null when the
/// source was unchanged or the check failed; <paramref name="Failure"/> says why it failed (the published version
/// stays and the status says stale).
/// </summary>
public sealed record RefreshOutcome(BundleResult? Published, BundleException? Failure)
{
    public static RefreshOutcome Unchanged { get; } = new(null, null);

    public bool Failed => Failure is not null;
}
