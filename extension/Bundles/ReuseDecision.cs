using ExtensionCache.Extension.Archives;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Sources;

namespace ExtensionCache.Extension.Bundles;

/// <summary>
/// What already on disk can serve a bundle: the published version as it is (<see cref="Reuse"/> true, nothing is
/// fetched), and otherwise what a new version's fetch may take entries from (<see cref="Bases"/>).
/// <paramref name="Probe"/> is the source's answer when one was needed to decide; a fetch starts from it.
/// </summary>
public sealed record ReuseDecision(bool Reuse, string Reason, SourceInfo? Probe)
{
    /// <summary>
    /// At INIT: the published version is reused when it came from the same source and a sha256 pin equals its
    /// sha256 (no network call), or, without a pin, the source's version (one probe) equals its version.
    /// </summary>
    public static async Task<ReuseDecision> AtInitAsync(BundleSpec bundle, BundleManifest? published, Func<Task<SourceInfo>> probe)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(probe);
        if (WhyNotFromThisSource(bundle, published) is { } why)
        {
            return new(false, why, null);
        }

        if (bundle.Sha256 is { } pin)
        {
            return string.Equals(pin, published!.Sha256, StringComparison.OrdinalIgnoreCase)
                ? new(true, "sha256 pin equals the published manifest's sha256 (no network call)", null)
                : new(false, "sha256 pin differs from the published manifest's sha256", null);
        }

        return Compare(await probe().ConfigureAwait(false), published!);
    }

    /// <summary>
    /// At a refresh check: the published version stays when the source answers a conditional request with "unchanged",
    /// or, when it cannot tell, when a probe's version equals the published one.
    /// </summary>
    public static async Task<ReuseDecision> AtRefreshAsync(
        BundleSpec bundle, BundleManifest? published, Func<string, Task<bool>> isUnchanged, Func<Task<SourceInfo>> probe)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(isUnchanged);
        ArgumentNullException.ThrowIfNull(probe);
        if (WhyNotFromThisSource(bundle, published) is { } why)
        {
            return new(false, why, null);
        }

        if (await isUnchanged(published!.Version).ConfigureAwait(false))
        {
            return new(true, $"the source still has version {published.Version}", null);
        }

        return Compare(await probe().ConfigureAwait(false), published);
    }

    /// <summary>
    /// The trees a new version of <paramref name="bundle"/> may take entries from: the published version
    /// (<paramref name="publishedFolder"/>, a delta update) and a stopped attempt's files (<paramref name="resumeFolder"/>,
    /// a resume). <c>WhyNoDelta</c> says why the published version cannot be used, when there is one.
    /// </summary>
    public static (IReadOnlyList<ExistingTree> Bases, string? WhyNoDelta, bool ResumeUsable) Bases(
        BundleSpec bundle, BundleManifest? published, string? publishedFolder, string? resumeFolder)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var trees = new List<ExistingTree>();
        var why = bundle.Format != BundleFormat.Zip
            ? "a tar archive has no index to compare entries by, so it is read whole"
            : bundle.Sha256 is not null
                ? "the sha256 pin covers the whole archive, which can only be verified by downloading all of it"
                : null;
        var resumeUsable = why is null;
        if (published is not null && why is null)
        {
            if (published.Source != bundle.DisplaySource)
            {
                why = "the published version comes from a different source";
            }
            else if (published.Format != FormatNames.Of(BundleFormat.Zip))
            {
                why = "the published version is not a zip";
            }
            else if (publishedFolder is not null && ExistingTree.Published(publishedFolder) is { } tree)
            {
                trees.Add(tree);
            }
            else
            {
                why = "the published version has no entry index";
            }
        }

        if (resumeUsable && resumeFolder is not null)
        {
            trees.Add(ExistingTree.Partial(resumeFolder));
        }

        return (trees, published is null ? null : why, resumeUsable);
    }

    private static string? WhyNotFromThisSource(BundleSpec bundle, BundleManifest? published) =>
        published is null ? "nothing usable is published"
        : published.Source != bundle.DisplaySource ? $"published from another source ({published.Source})"
        : null;

    private static ReuseDecision Compare(SourceInfo info, BundleManifest published) =>
        info.VersionId.Length > 0 && info.VersionId == published.Version
            ? new(true, $"source version {info.VersionId} equals the published manifest's version", info)
            : new(false, $"source version {info.VersionId} differs from published {published.Version}", info);
}
