using ExtensionCache.Contract;
using System.Security.Cryptography;
using System.Text.Json;
using ExtensionCache.Extension.Bundles;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Extension.Publishing;
using ExtensionCache.Tests.Fixtures;

namespace ExtensionCache.Tests;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class BundleCacheTests : IDisposable
{
    private readonly CacheHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public async Task A_cold_fetch_sends_the_archive_once_even_when_its_central_directory_is_larger_than_the_probed_tail()
    {
        // 20,000 entries: a central directory of about 1.3 MB, far more than the 64 KiB the probe reads. It is read
        // once to plan, and the download serves it from memory instead of asking for it again.
        var entries = Enumerable.Range(0, 20_000).Select(i => ArchiveEntry.File($"node_modules/pkg{i / 100:D3}/file{i % 100:D2}.js", $"module.exports = {i};")).ToList();
        var zip = ArchiveBuilder.Zip(entries);
        using var server = new LoopbackHttpServer(zip);
        using var harness = new CacheHarness(_harness.Limits with { MaxEntries = 50_000 });

        var result = await harness.PrepareAsync(CacheHarness.Spec("web", server.ObjectUri, BundleFormat.Zip));

        Assert.Equal(20_000, result.Files);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(zip)), result.Sha256);
        Assert.InRange(server.BytesSent, zip.Length, zip.Length + (64 * 1024));
    }

    [Fact]
    public async Task A_pin_equal_to_the_published_sha256_reuses_without_any_network_call()
    {
        var zip = ArchiveBuilder.Zip([ArchiveEntry.File("a.txt", "v1")]);
        var sha = Convert.ToHexStringLower(SHA256.HashData(zip));
        using var server = new LoopbackHttpServer(zip);
        var spec = CacheHarness.Spec("web", server.ObjectUri, BundleFormat.Zip, sha);
        _harness.Cache.PrepareRoot([spec]);
        var first = await _harness.Cache.PrepareAsync(spec, CancellationToken.None);
        var requestsAfterDownload = server.Requests;

        _harness.Cache.PrepareRoot([spec]);
        var second = await _harness.Cache.PrepareAsync(spec, CancellationToken.None);

        Assert.False(first.Reused);
        Assert.Equal(1, requestsAfterDownload); // the probe's tail was the whole (small) zip: no second GET
        Assert.True(second.Reused);
        Assert.Contains("no network call", second.ReuseReason, StringComparison.Ordinal);
        Assert.Equal(requestsAfterDownload, server.Requests);
        Assert.Equal(first.PublishedPath, second.PublishedPath);
        Assert.Contains("reusing", _harness.Log.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("secret123", _harness.Log.Text, StringComparison.Ordinal);
        var status = ReadStatus("web");
        Assert.Equal("ready", status.GetProperty("status").GetString());
        Assert.True(status.GetProperty("reused").GetBoolean());
    }

    [Fact]
    public async Task Without_a_pin_one_probe_decides_reuse_and_a_new_etag_downloads_again()
    {
        using var server = new LoopbackHttpServer(ArchiveBuilder.Zip([ArchiveEntry.File("a.txt", "v1")]), "\"v1\"");
        var spec = CacheHarness.Spec("web", server.ObjectUri, BundleFormat.Zip);
        _harness.Cache.PrepareRoot([spec]);
        await _harness.Cache.PrepareAsync(spec, CancellationToken.None);
        var before = server.Requests;

        var reused = await _harness.Cache.PrepareAsync(spec, CancellationToken.None);
        Assert.True(reused.Reused);
        Assert.Equal(before + 1, server.Requests);

        server.Content = ArchiveBuilder.Zip([ArchiveEntry.File("a.txt", "v2")]);
        server.ETag = "\"v2\"";
        var updated = await _harness.Cache.PrepareAsync(spec, CancellationToken.None);

        Assert.False(updated.Reused);
        Assert.Equal("\"v2\"", updated.Version);
        Assert.Equal("v2", File.ReadAllText(Path.Join(updated.PublishedPath, "a.txt")));

        // The replaced version goes at the next start (before register), leaving only the published one.
        _harness.Cache.PrepareRoot([spec]);
        Assert.Single(Directory.EnumerateDirectories(Path.Join(_harness.Root, CacheLayout.StoreFolderName)));
        Assert.Equal("v2", File.ReadAllText(Path.Join(_harness.Root, "web", "a.txt")));
    }

    [Fact]
    public async Task A_wrong_pin_fails_with_integrity_and_leaves_the_old_version_published()
    {
        var v1 = ArchiveBuilder.Zip([ArchiveEntry.File("a.txt", "v1")]);
        var good = CacheHarness.Spec("b", _harness.FileBundle("b", v1).Source, BundleFormat.Zip, Convert.ToHexStringLower(SHA256.HashData(v1)));
        _harness.Cache.PrepareRoot([good]);
        var published = await _harness.Cache.PrepareAsync(good, CancellationToken.None);
        var storeBefore = new FileInfo(published.PublishedPath).LinkTarget;

        var v2 = _harness.FileBundle("b", ArchiveBuilder.Zip([ArchiveEntry.File("a.txt", "v2")]), sha256: new string('0', 64));
        var error = await Assert.ThrowsAsync<BundleException>(() => _harness.Cache.PrepareAsync(v2, CancellationToken.None));

        Assert.Equal(FailureKind.BundleIntegrity, error.Kind);
        Assert.Contains("bundle b", error.Message, StringComparison.Ordinal);
        Assert.Contains("sha256 mismatch", error.Message, StringComparison.Ordinal);
        Assert.Equal("v1", File.ReadAllText(Path.Join(published.PublishedPath, "a.txt")));
        Assert.Equal(storeBefore, new FileInfo(published.PublishedPath).LinkTarget);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Join(_harness.Root, CacheLayout.StagingFolderName)));
        var status = ReadStatus("b");
        Assert.Equal("failed", status.GetProperty("status").GetString());
        Assert.Equal("Extension.BundleIntegrity", status.GetProperty("errorType").GetString());
    }

    [Fact]
    public async Task A_hostile_update_leaves_the_old_version_published()
    {
        var spec = _harness.FileBundle("b", ArchiveBuilder.Zip([ArchiveEntry.File("a.txt", "v1")]));
        _harness.Cache.PrepareRoot([spec]);
        var published = await _harness.Cache.PrepareAsync(spec, CancellationToken.None);

        await File.WriteAllBytesAsync(spec.Source.LocalPath, ArchiveBuilder.Zip([ArchiveEntry.File("a.txt", "v2"), ArchiveEntry.File("../x", "evil")]));
        File.SetLastWriteTimeUtc(spec.Source.LocalPath, DateTime.UtcNow.AddMinutes(1));
        var error = await Assert.ThrowsAsync<BundleException>(() => _harness.Cache.PrepareAsync(spec, CancellationToken.None));

        Assert.Equal(FailureKind.BundleUnsafe, error.Kind);
        Assert.Equal("v1", File.ReadAllText(Path.Join(published.PublishedPath, "a.txt")));
    }

    [Fact]
    public async Task The_manifest_records_source_version_sha_counts_and_timings()
    {
        var zip = ArchiveBuilder.Zip(Archives.ZipRoundTripTests.NodeModulesLike());
        using var server = new LoopbackHttpServer(zip, "\"m1\"");
        var spec = CacheHarness.Spec("m", server.ObjectUri, BundleFormat.Zip);
        _harness.Cache.PrepareRoot([spec]);

        var result = await _harness.Cache.PrepareAsync(spec, CancellationToken.None);

        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Join(result.PublishedPath, ".extension-cache-manifest.json")));
        var m = manifest.RootElement;
        Assert.Equal("m", m.GetProperty("name").GetString());
        Assert.Equal(spec.DisplaySource, m.GetProperty("source").GetString());
        Assert.DoesNotContain("secret123", m.GetRawText(), StringComparison.Ordinal);
        Assert.Equal("\"m1\"", m.GetProperty("version").GetString());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(zip)), m.GetProperty("sha256").GetString());
        Assert.Equal("zip", m.GetProperty("format").GetString());
        Assert.Equal(4, m.GetProperty("files").GetInt64());
        Assert.Equal(1, m.GetProperty("symlinks").GetInt64());
        Assert.True(m.GetProperty("directories").GetInt64() >= 6);
        Assert.Equal(result.Bytes, m.GetProperty("bytes").GetInt64());
        Assert.True(m.TryGetProperty("downloadMs", out _));
        Assert.True(m.TryGetProperty("unpackMs", out _));
        Assert.True(m.TryGetProperty("publishedAt", out _));
        Assert.Contains("published", _harness.Log.Text, StringComparison.Ordinal);
        Assert.Contains("MBps=", _harness.Log.Text, StringComparison.Ordinal);

        // The log names the format with the manifest's word.
        Assert.Contains("format=zip", _harness.Log.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("format=Zip", _harness.Log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_zip_from_a_server_without_ranges_fails_clearly_but_a_tar_works()
    {
        using var server = new LoopbackHttpServer(ArchiveBuilder.Zip([ArchiveEntry.File("a", "a")])) { SupportsRanges = false };
        var zipSpec = CacheHarness.Spec("z", server.ObjectUri, BundleFormat.Zip);
        var error = await _harness.FailsAsync(zipSpec);
        Assert.Contains("byte ranges", error.Message, StringComparison.Ordinal);
        _harness.AssertNothingPublished("z");

        server.Content = ArchiveBuilder.TarGz([ArchiveEntry.File("a", "tar")]);
        var tarSpec = CacheHarness.Spec("t", server.ObjectUri, BundleFormat.TarGz);
        _harness.Cache.PrepareRoot([tarSpec]);
        var result = await _harness.Cache.PrepareAsync(tarSpec, CancellationToken.None);
        Assert.Equal("tar", File.ReadAllText(Path.Join(result.PublishedPath, "a")));
    }

    [Fact]
    public async Task A_missing_file_is_not_found_and_names_the_bundle()
    {
        var spec = CacheHarness.Spec("nf", new Uri("file:///nonexistent/bundle.zip"), BundleFormat.Zip);

        var error = await _harness.FailsAsync(spec);

        Assert.Equal(FailureKind.BundleNotFound, error.Kind);
        Assert.Contains("bundle nf", error.Message, StringComparison.Ordinal);
        Assert.Contains("/nonexistent/bundle.zip", error.Message, StringComparison.Ordinal);
        _harness.AssertNothingPublished("nf");
    }

    [Fact]
    public async Task Prepare_root_removes_stale_staging_unreferenced_versions_temp_links_and_old_status()
    {
        var spec = _harness.FileBundle("keep", ArchiveBuilder.Zip([ArchiveEntry.File("a.txt", "a")]));
        _harness.Cache.PrepareRoot([spec]);
        var kept = await _harness.Cache.PrepareAsync(spec, CancellationToken.None);
        var staleStaging = Path.Join(_harness.Root, CacheLayout.StagingFolderName, "keep-dead", "half");
        Directory.CreateDirectory(staleStaging);
        await File.WriteAllTextAsync(Path.Join(staleStaging, "partial.bin"), "partial");
        var orphan = Path.Join(_harness.Root, CacheLayout.StoreFolderName, "old-0123456789abcdef");
        Directory.CreateDirectory(orphan);
        var tempLink = Path.Join(_harness.Root, ".link-keep-abc");
        File.CreateSymbolicLink(tempLink, Path.Join(CacheLayout.StoreFolderName, "old-0123456789abcdef"));
        Assert.True(File.Exists(Path.Join(_harness.Root, CacheLayout.StatusFolderName, "keep.json")));

        _harness.Cache.PrepareRoot([spec]);

        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Join(_harness.Root, CacheLayout.StagingFolderName)));
        Assert.False(Directory.Exists(orphan));
        Assert.False(Path.Exists(tempLink));
        Assert.False(File.Exists(Path.Join(_harness.Root, CacheLayout.StatusFolderName, "keep.json")));
        Assert.Equal("a", File.ReadAllText(Path.Join(kept.PublishedPath, "a.txt")));
    }

    [Fact]
    public async Task Cancellation_publishes_nothing_keeps_the_staging_aside_for_a_resume_and_writes_a_failed_status()
    {
        var big = new byte[5_000_000];
        new Random(5).NextBytes(big);
        var spec = _harness.FileBundle("c", ArchiveBuilder.Zip([ArchiveEntry.File("big.bin", big)]));
        _harness.Cache.PrepareRoot([spec]);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _harness.Cache.PrepareAsync(spec, cts.Token));

        Assert.False(Path.Exists(Path.Join(_harness.Root, "c")));
        _harness.AssertStagingEmpty();
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Join(_harness.Root, CacheLayout.StoreFolderName)));
        Assert.True(Directory.Exists(Path.Join(_harness.Root, ".resume", "c")), "a cancelled download's files wait for a resume");
        Assert.Equal("failed", ReadStatus("c").GetProperty("status").GetString());
        _harness.AssertOutsideUntouched();
    }

    private JsonElement ReadStatus(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Join(_harness.Root, CacheLayout.StatusFolderName, name + ".json")));
        return doc.RootElement.Clone();
    }
}
