using System.Security.Cryptography;
using ExtensionCache.Extension.Bundles;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Extension.Sources;
using ExtensionCache.Tests.Fixtures;

namespace ExtensionCache.Tests;

/// <summary>
/// SnapStart's 512 MB of /tmp at a snap-start INIT, with real archives served over loopback HTTP (so what was
/// downloaded is counted at the server) and a real temp folder whose use is set by a sparse file: a bundle that cannot
/// fit fails INIT with a message that says so, before its archive downloads; one that fits publishes as usual.
/// </summary>
public sealed class SnapStartSpaceTests : IDisposable
{
    /// <summary>What the probe reads of an archive (its tail): the most a failed check may have downloaded.</summary>
    private const int ProbeBytes = Extension.Archives.ZipCentralDirectory.TailBytes;

    /// <summary>The room a test leaves under the limit: 256 KiB.</summary>
    private const long Room = 256 * 1024;

    /// <summary>Kept free beside the bundle for the manifest and status files (as the fetcher does).</summary>
    private const long Reserve = 1024 * 1024;

    private readonly TempDirectory temp = new();
    private readonly TestLog log = new();
    private readonly BundleSourceFactory sources = new(_ => null);
    private readonly string tmp;
    private readonly BundleCache cache;

    public SnapStartSpaceTests()
    {
        tmp = Directory.CreateDirectory(temp.Combine("tmp")).FullName;

        // What /tmp already holds, as a sparse file (its length counts, it takes no disk): the limit less Room.
        using (var filler = File.Create(Path.Combine(tmp, "function-data.bin")))
        {
            filler.SetLength(SnapStartSpace.EphemeralStorageBytes - Reserve - Room);
        }

        var limits = new CacheLimits(MaxUnpackedBytes: 1L << 30, MaxEntries: 10_000, Concurrency: 4, PartSizeBytes: 64 * 1024);
        cache = new BundleCache(Path.Combine(tmp, "extension-cache"), limits, log.Log, sources, TimeProvider.System, snapStart: new SnapStartSpace(tmp));
    }

    public void Dispose()
    {
        sources.Dispose();
        temp.Dispose();
    }

    [Fact]
    public async Task A_zip_that_declares_more_than_the_room_fails_before_it_downloads_and_says_why()
    {
        var archive = ArchiveBuilder.Zip([ArchiveEntry.File("model.bin", RandomNumberGenerator.GetBytes(1024 * 1024))]);
        using var server = new LoopbackHttpServer(archive);

        var error = await Assert.ThrowsAsync<BundleException>(() => PrepareAsync("model", server, "zip"));

        Assert.Equal(FailureKind.BundleTooLarge, error.Kind);
        Assert.Contains("the zip declares 1048576 unpacked bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("SnapStart's /tmp: ephemeral storage is at most 512 MB (536870912 bytes) with SnapStart", error.Message, StringComparison.Ordinal);
        Assert.Contains($"{SnapStartSpace.EphemeralStorageBytes - Reserve - Room} bytes of {tmp} are in use, so the bundle cannot fit in the snapshot", error.Message, StringComparison.Ordinal);
        Assert.InRange(server.BytesSent, 1, ProbeBytes);
        Assert.False(Path.Exists(Path.Combine(tmp, "extension-cache", "model")));
    }

    [Fact]
    public async Task A_tar_gz_whose_archive_is_larger_than_the_room_fails_before_it_downloads()
    {
        var archive = ArchiveBuilder.TarGz([ArchiveEntry.File("model.bin", RandomNumberGenerator.GetBytes(1024 * 1024))]);
        using var server = new LoopbackHttpServer(archive);

        var error = await Assert.ThrowsAsync<BundleException>(() => PrepareAsync("model", server, "tar.gz"));

        Assert.Equal(FailureKind.BundleTooLarge, error.Kind);
        Assert.Contains($"is a {archive.Length}-byte tar.gz archive, and a tar unpacks to at least about its archive size", error.Message, StringComparison.Ordinal);
        Assert.Contains($"more than the {Room} bytes left (SnapStart's /tmp", error.Message, StringComparison.Ordinal);
        Assert.Contains("do without SnapStart", error.Message, StringComparison.Ordinal);
        Assert.InRange(server.BytesSent, 1, ProbeBytes);
        Assert.False(Path.Exists(Path.Combine(tmp, "extension-cache", "model")));
    }

    [Fact]
    public async Task A_tar_gz_small_enough_to_pass_that_unpacks_past_the_room_stops_there_and_publishes_nothing()
    {
        // 1 MiB of zeros compresses to about a kilobyte: the archive passes the check, the bytes written do not.
        var archive = ArchiveBuilder.TarGz([ArchiveEntry.File("zeros.bin", new byte[1024 * 1024])]);
        Assert.True(archive.Length < Room);
        using var server = new LoopbackHttpServer(archive);

        var error = await Assert.ThrowsAsync<BundleException>(() => PrepareAsync("zeros", server, "tar.gz"));

        Assert.Equal(FailureKind.BundleTooLarge, error.Kind);
        Assert.Contains($"unpacks to more than {Room} bytes (SnapStart's /tmp", error.Message, StringComparison.Ordinal);
        Assert.False(Path.Exists(Path.Combine(tmp, "extension-cache", "zeros")));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(tmp, "extension-cache"), "zeros.bin", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData("zip")]
    [InlineData("tar.gz")]
    public async Task A_bundle_that_fits_is_published_as_usual(string format)
    {
        var entries = new[] { ArchiveEntry.File("lib/data.bin", RandomNumberGenerator.GetBytes(100 * 1024)) };
        var archive = format == "zip" ? ArchiveBuilder.Zip(entries) : ArchiveBuilder.TarGz(entries);
        using var server = new LoopbackHttpServer(archive);

        var result = await PrepareAsync("small", server, format);

        Assert.False(result.Reused);
        Assert.Equal(100 * 1024, new FileInfo(Path.Combine(tmp, "extension-cache", "small", "lib", "data.bin")).Length);
    }

    [Theory]
    [InlineData("snap-start", null, true)]
    [InlineData("snap-start", "/elsewhere/cache", false)]
    [InlineData("on-demand", null, false)]
    [InlineData("provisioned-concurrency", null, false)]
    public void The_limit_applies_to_a_snap_start_INIT_whose_root_is_in_the_temp_folder(string type, string? root, bool applies)
    {
        var environment = new Dictionary<string, string?>
        {
            ["EXTENSION_CACHE_BUNDLES"] = "a=file:///x/a.zip",
            ["EXTENSION_CACHE_ROOT"] = root,
            ["TMPDIR"] = tmp,
            ["AWS_LAMBDA_INITIALIZATION_TYPE"] = type,
        };
        var options = CacheOptions.FromEnvironment(name => environment.GetValueOrDefault(name));

        var space = SnapStartSpace.For(options, name => environment.GetValueOrDefault(name));

        Assert.Equal(applies, space is not null);
        if (space is not null)
        {
            Assert.Equal(tmp, space.TempFolder);
            Assert.Equal(SnapStartSpace.EphemeralStorageBytes - Reserve - Room, space.UsedBytes());
        }
    }

    private async Task<BundleResult> PrepareAsync(string name, LoopbackHttpServer server, string format)
    {
        var spec = CacheHarness.Spec(name, new Uri(server.BaseUri, $"{name}.{format}"), format == "zip" ? BundleFormat.Zip : BundleFormat.TarGz);
        cache.PrepareRoot([spec]);
        return await cache.PrepareAsync(spec, CancellationToken.None);
    }
}
