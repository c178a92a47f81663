using ExtensionCache.Extension;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Extension.Publishing;
using ExtensionCache.Extension.Sources;

namespace ExtensionCache.Tests.Fixtures;

/// <summary>
/// A BundleCache over a real root in a temp folder, with a canary file beside the root so tests can prove that
/// nothing outside the root was touched.
/// </summary>
public sealed class CacheHarness : IDisposable
{
    public const string CanaryText = "canary";

    private readonly BundleSourceFactory _sources;

    /// <param name="fetchDeadline">How long from now every request may be retried (the INIT deadline); none when null.</param>
    public CacheHarness(CacheLimits? limits = null, Func<string, string?>? environment = null, TimeSpan? fetchDeadline = null)
    {
        _sources = new BundleSourceFactory(environment ?? (_ => null));
        Root = Temp.Combine("root");
        Canary = Temp.Combine("canary.txt");
        File.WriteAllText(Canary, CanaryText);
        Limits = limits ?? new CacheLimits(MaxUnpackedBytes: 1L << 30, MaxEntries: 10_000, Concurrency: 4, PartSizeBytes: 64 * 1024);
        Cache = NewCache(fetchDeadline);
    }

    public TempDirectory Temp { get; } = new();

    public string Root { get; }

    public string Canary { get; }

    public CacheLimits Limits { get; }

    public TestLog Log { get; } = new();

    public BundleCache Cache { get; private set; }

    /// <summary>
    /// A new cache over the same root (as a new INIT would start) whose requests may be retried only until
    /// <paramref name="budget"/> from now: what the test did before (publishing an earlier version) uses none of it.
    /// </summary>
    public void StartFetchDeadline(TimeSpan budget) => Cache = NewCache(budget);

    /// <summary>A spec for <paramref name="source"/>, its location typed by the extension's own parser.</summary>
    public static BundleSpec Spec(string name, Uri source, BundleFormat format, string? sha256 = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        var errors = new List<string>();
        var location = BundleListParser.ParseLocation(source.OriginalString, name, errors, out _)
            ?? throw new ArgumentException(string.Join("; ", errors), nameof(source));
        return new(name, location, format, sha256);
    }

    /// <summary>A zip of <c>payload.bin</c> and <c>version.txt</c>: the shape <see cref="AssertStillPublished"/> checks.</summary>
    public static byte[] VersionedBundle(byte[] payload, string version) =>
        ArchiveBuilder.Zip([ArchiveEntry.File("payload.bin", payload), ArchiveEntry.File("version.txt", version)]);

    /// <summary>Writes an archive next to the root and returns a file:// spec for it.</summary>
    public BundleSpec FileBundle(string name, byte[] archive, BundleFormat format = BundleFormat.Zip, string? sha256 = null)
    {
        var path = Temp.Combine($"{name}-{Guid.NewGuid():N}.{Extension(format)}");
        File.WriteAllBytes(path, archive);
        return Spec(name, new Uri("file://" + path), format, sha256);
    }

    /// <summary>Prepares the root for <paramref name="spec"/> alone, then the bundle, as the extension does at INIT.</summary>
    public async Task<BundleResult> PrepareAsync(BundleSpec spec)
    {
        Cache.PrepareRoot([spec]);
        return await Cache.PrepareAsync(spec, CancellationToken.None);
    }

    public async Task<BundleException> FailsAsync(BundleSpec spec)
    {
        Cache.PrepareRoot([spec]);
        return await Assert.ThrowsAsync<BundleException>(() => Cache.PrepareAsync(spec, CancellationToken.None));
    }

    /// <summary>Nothing published for <paramref name="name"/>, no staging or store left, a failed status, canary intact, and nothing new beside the root.</summary>
    public void AssertNothingPublished(string name)
    {
        Assert.False(Path.Exists(Path.Join(Root, name)), "the bundle must not be published");
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Join(Root, Publisher.StagingFolder)));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Join(Root, Publisher.StoreFolder)));
        var status = File.ReadAllText(Path.Join(Root, Publisher.StatusFolder, name + ".json"));
        Assert.Contains("\"failed\"", status, StringComparison.Ordinal);
        Assert.All(
            Directory.EnumerateFileSystemEntries(Root).Select(Path.GetFileName),
            n => Assert.Contains(n, new[] { Publisher.StagingFolder, Publisher.StoreFolder, Publisher.StatusFolder }));
        AssertOutsideUntouched();
    }

    /// <summary>
    /// The bundle <paramref name="name"/> is still published with <c>version.txt</c> and <c>payload.bin</c> as given
    /// (an earlier version a failed update must leave alone), staging is empty, and nothing beside the root changed.
    /// </summary>
    public void AssertStillPublished(string name, string version, byte[] payload)
    {
        var published = Path.Join(Root, name);
        Assert.Equal(version, File.ReadAllText(Path.Join(published, "version.txt")));
        Assert.Equal(payload, File.ReadAllBytes(Path.Join(published, "payload.bin")));
        AssertStagingEmpty();
        AssertOutsideUntouched();
    }

    public void AssertStagingEmpty() =>
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Join(Root, Publisher.StagingFolder)));

    public void AssertOutsideUntouched()
    {
        Assert.Equal(CanaryText, File.ReadAllText(Canary));
        var beside = Directory.EnumerateFileSystemEntries(Temp.Path)
            .Select(Path.GetFileName)
            .Where(n => n != "root" && n != "canary.txt" && !n!.Contains('-', StringComparison.Ordinal))
            .ToList();
        Assert.Empty(beside);
    }

    public void Dispose()
    {
        _sources.Dispose();
        Temp.Dispose();
    }

    private BundleCache NewCache(TimeSpan? fetchDeadline)
    {
        var deadline = fetchDeadline is { } budget ? new FetchDeadline(TimeProvider.System, budget, $"a test deadline of {budget.TotalSeconds:0.#} s") : null;
        return new BundleCache(Root, Limits, Log.Log, _sources, TimeProvider.System, deadline);
    }

    private static string Extension(BundleFormat format) => format switch
    {
        BundleFormat.Zip => "zip",
        BundleFormat.TarGz => "tar.gz",
        _ => "tar.zst",
    };
}
