using ExtensionCache.Contract;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using ExtensionCache.Extension.Bundles;
using ExtensionCache.Extension.Archives;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Publishing;
using ExtensionCache.Extension.Sources;
using ExtensionCache.TestSupport;
using ExtensionCache.Tests.Fixtures;

namespace ExtensionCache.Tests.Archives;

/// <summary>Delta updates and resumes of zip bundles, against a real HTTP server that counts what it sends.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ZipDeltaTests : IDisposable
{
    private const int FileBytes = 200 * 1024;
    private readonly CacheHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public async Task Unchanged_entries_are_hard_linked_and_only_changed_and_added_entries_are_fetched()
    {
        var v1 = Files(30);
        using var server = new LoopbackHttpServer(ArchiveBuilder.Zip(v1), "\"v1\"");
        var spec = CacheHarness.Spec("web", server.ObjectUri, BundleFormat.Zip);
        var first = await _harness.PrepareAsync(spec);
        var oldVersion = Resolve(first.PublishedPath);

        var v2 = v1.Where(e => e.Name != "pkg/f03.bin").ToList();
        var changed = v2.FindIndex(e => e.Name == "pkg/f15.bin");
        v2[changed] = ArchiveEntry.File("pkg/f15.bin", Random(FileBytes, 99));
        v2.Add(ArchiveEntry.File("pkg/new.bin", Random(FileBytes, 100)));
        var archive = ArchiveBuilder.Zip(v2);
        server.Content = archive;
        server.ETag = "\"v2\"";
        var sentBefore = server.BytesSent;

        var second = await _harness.PrepareAsync(spec);

        var sent = server.BytesSent - sentBefore;
        Assert.False(second.Reused);
        Assert.Equal("delta", second.ReuseReason);
        Assert.Equal(28, second.DeltaFilesReused);
        Assert.True(sent < 3 * FileBytes, $"the refresh fetched {sent} bytes of a {archive.Length}-byte archive; expected about two files' worth");
        Assert.True(second.DeltaBytesSaved > 25L * FileBytes, $"saved {second.DeltaBytesSaved}");
        AssertExactTree(v2, second.PublishedPath);
        Assert.False(File.Exists(Path.Join(second.PublishedPath, "pkg/f03.bin")));
        Assert.Equal(Inode(Path.Join(oldVersion, "pkg/f00.bin")), Inode(Path.Join(second.PublishedPath, "pkg/f00.bin")));
        Assert.NotEqual(Inode(Path.Join(oldVersion, "pkg/f15.bin")), Inode(Path.Join(second.PublishedPath, "pkg/f15.bin")));
        Assert.StartsWith(ReusePlan.TreeHashPrefix, second.Sha256, StringComparison.Ordinal);
        Assert.Contains("delta bundle=web from=published", _harness.Log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_delta_over_many_folders_on_four_workers_links_every_unchanged_file_and_fetches_the_changed_ones()
    {
        using var harness = new CacheHarness(_harness.Limits with { Workers = 4 });
        var v1 = Enumerable.Range(0, 600)
            .Select(i => ArchiveEntry.File($"node_modules/p{i % 60:00}/lib/{i / 60}/f{i:000}.js", $"module {i}"))
            .ToList();
        using var server = new LoopbackHttpServer(ArchiveBuilder.Zip(v1), "\"v1\"");
        var spec = CacheHarness.Spec("web", server.ObjectUri, BundleFormat.Zip);
        var first = await harness.PrepareAsync(spec);
        var oldVersion = Resolve(first.PublishedPath);

        // One changed file early, one late, so links run in a batch before each fetched entry and after the last.
        var v2 = v1.ToList();
        v2[5] = ArchiveEntry.File(v1[5].Name, "changed early");
        v2[590] = ArchiveEntry.File(v1[590].Name, "changed late");
        server.Content = ArchiveBuilder.Zip(v2);
        server.ETag = "\"v2\"";
        var second = await harness.PrepareAsync(spec);

        Assert.Equal("delta", second.ReuseReason);
        Assert.Equal(598, second.DeltaFilesReused);
        AssertExactTree(v2, second.PublishedPath);
        for (var i = 0; i < v1.Count; i++)
        {
            var same = Inode(Path.Join(oldVersion, v1[i].Name)) == Inode(Path.Join(second.PublishedPath, v1[i].Name));
            Assert.True(same == (i is not 5 and not 590), $"{v1[i].Name}: linked {same}");
        }
    }

    [Fact]
    public async Task Published_zip_files_have_no_write_bits()
    {
        using var server = new LoopbackHttpServer(ArchiveBuilder.Zip([ArchiveEntry.File("a.txt", "v1", 0x1B6)]), "\"v1\"");
        var result = await _harness.PrepareAsync(CacheHarness.Spec("web", server.ObjectUri, BundleFormat.Zip));

        var mode = File.GetUnixFileMode(Path.Join(result.PublishedPath, "a.txt"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead, mode);
    }

    [Fact]
    public async Task A_mode_or_link_target_change_is_fetched_not_linked()
    {
        var content = Random(FileBytes, 1);
        using var server = new LoopbackHttpServer(
            ArchiveBuilder.Zip([ArchiveEntry.File("a.bin", content), ArchiveEntry.File("b.bin", Random(FileBytes, 2)), ArchiveEntry.Symlink("l", "a.bin")]),
            "\"v1\"");
        var spec = CacheHarness.Spec("web", server.ObjectUri, BundleFormat.Zip);
        var first = await _harness.PrepareAsync(spec);
        var oldVersion = Resolve(first.PublishedPath);

        server.Content = ArchiveBuilder.Zip([ArchiveEntry.File("a.bin", content, 0x1ED), ArchiveEntry.File("b.bin", Random(FileBytes, 2)), ArchiveEntry.Symlink("l", "b.bin")]);
        server.ETag = "\"v2\"";
        var second = await _harness.PrepareAsync(spec);

        Assert.Equal(1, second.DeltaFilesReused);
        Assert.NotEqual(Inode(Path.Join(oldVersion, "a.bin")), Inode(Path.Join(second.PublishedPath, "a.bin")));
        Assert.Equal(Inode(Path.Join(oldVersion, "b.bin")), Inode(Path.Join(second.PublishedPath, "b.bin")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute,
            File.GetUnixFileMode(Path.Join(second.PublishedPath, "a.bin")));
        Assert.Equal("b.bin", new FileInfo(Path.Join(second.PublishedPath, "l")).LinkTarget);
    }

    [Fact]
    public async Task A_published_file_changed_by_function_code_is_fetched_again_not_linked()
    {
        var v1 = Files(4);
        using var server = new LoopbackHttpServer(ArchiveBuilder.Zip(v1), "\"v1\"");
        var spec = CacheHarness.Spec("web", server.ObjectUri, BundleFormat.Zip);
        var first = await _harness.PrepareAsync(spec);
        var tampered = Path.Join(first.PublishedPath, "pkg/f01.bin");
        File.SetUnixFileMode(tampered, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllBytes(tampered, Random(FileBytes, 7));

        var v2 = v1.Append(ArchiveEntry.File("pkg/new.bin", "new")).ToList();
        server.Content = ArchiveBuilder.Zip(v2);
        server.ETag = "\"v2\"";
        var second = await _harness.PrepareAsync(spec);

        Assert.Equal(3, second.DeltaFilesReused);
        AssertExactTree(v2, second.PublishedPath);
    }

    [Fact]
    public async Task A_delta_never_links_through_a_symlink_planted_in_the_published_version()
    {
        var outside = _harness.Temp.Combine("outside");
        Directory.CreateDirectory(outside);
        var v1 = Files(3);
        using var server = new LoopbackHttpServer(ArchiveBuilder.Zip(v1), "\"v1\"");
        var spec = CacheHarness.Spec("web", server.ObjectUri, BundleFormat.Zip);
        var first = await _harness.PrepareAsync(spec);
        var version = Resolve(first.PublishedPath);

        // Function code swaps the folder for a link to a look-alike outside, and a file for a link to the same.
        foreach (var e in v1)
        {
            File.Copy(Path.Join(version, e.Name), Path.Join(outside, Path.GetFileName(e.Name)));
        }

        Publisher.DeleteTree(Path.Join(version, "pkg"));
        File.CreateSymbolicLink(Path.Join(version, "pkg"), outside);
        File.CreateSymbolicLink(Path.Join(version, "top.bin"), Path.Join(outside, "f00.bin"));
        var v2 = v1.Append(ArchiveEntry.File("top.bin", v1[0].Content!)).Append(ArchiveEntry.File("x.txt", "x")).ToList();
        server.Content = ArchiveBuilder.Zip(v2);
        server.ETag = "\"v2\"";
        var second = await _harness.PrepareAsync(spec);

        Assert.Equal(0, second.DeltaFilesReused);
        AssertExactTree(v2, second.PublishedPath);
        foreach (var e in v1)
        {
            Assert.NotEqual(Inode(Path.Join(outside, Path.GetFileName(e.Name))), Inode(Path.Join(second.PublishedPath, e.Name)));
        }
    }

    [Theory]
    [InlineData("tar", "a tar archive has no index")]
    [InlineData("pin", "the sha256 pin covers the whole archive")]
    [InlineData("uri", "the published version comes from a different source")]
    public async Task Where_no_delta_applies_the_bundle_is_fetched_whole_and_the_log_says_why(string variant, string reason)
    {
        var entries = Files(3);
        var format = variant == "tar" ? BundleFormat.TarGz : BundleFormat.Zip;
        var first = _harness.FileBundle("web", variant == "tar" ? ArchiveBuilder.TarGz(entries) : ArchiveBuilder.Zip(entries), format);
        await _harness.PrepareAsync(first);

        var changed = entries.Append(ArchiveEntry.File("more.txt", "more")).ToList();
        var next = variant == "tar" ? ArchiveBuilder.TarGz(changed) : ArchiveBuilder.Zip(changed);
        var spec = first;
        if (variant == "uri")
        {
            spec = _harness.FileBundle("web", next, format);
        }
        else
        {
            File.WriteAllBytes(((FileLocation)first.Location).Path, next);
            spec = variant == "pin" ? first with { Sha256 = Convert.ToHexStringLower(SHA256.HashData(next)) } : first;
        }

        var second = await _harness.PrepareAsync(spec);

        Assert.Equal("downloaded", second.ReuseReason);
        Assert.Equal(0, second.DeltaBytesSaved);
        Assert.Contains("full fetch, no delta", _harness.Log.Text, StringComparison.Ordinal);
        Assert.Contains(reason, _harness.Log.Text, StringComparison.Ordinal);
        AssertExactTree(changed, second.PublishedPath);
    }

    [Fact]
    public async Task A_killed_attempts_verified_files_are_reused_and_its_truncated_file_is_fetched_again()
    {
        var entries = Files(20);
        var archive = ArchiveBuilder.Zip(entries);
        using var server = new LoopbackHttpServer(archive, "\"v1\"");
        var spec = CacheHarness.Spec("web", server.ObjectUri, BundleFormat.Zip);
        _harness.Cache.PrepareRoot([spec]);

        // What an INIT killed mid-download leaves: the first files complete, the next one cut short.
        var killed = KilledAttempt("5a5a5a5a", entries.Take(10));

        File.WriteAllBytes(Path.Join(killed, entries[10].Name), entries[10].Content!.AsSpan(0, FileBytes / 2).ToArray());
        var sentBefore = server.BytesSent;

        var result = await _harness.PrepareAsync(spec);

        var sent = server.BytesSent - sentBefore;
        Assert.Equal(10, result.DeltaFilesReused);
        Assert.True(sent < archive.Length * 6 / 10, $"the retry fetched {sent} bytes of {archive.Length}");
        AssertExactTree(entries, result.PublishedPath);
        Assert.Contains("keeping files for the next attempt bundle=web why=\"an earlier attempt was killed\" files=11", _harness.Log.Text, StringComparison.Ordinal);
        Assert.Contains("from=resume", _harness.Log.Text, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Join(_harness.Root, ".resume", "web")));
    }

    [Fact]
    public async Task Files_a_retry_takes_from_a_killed_attempt_are_linked_before_it_fetches_so_another_kill_keeps_them()
    {
        var entries = Files(20);
        using var server = new LoopbackHttpServer(ArchiveBuilder.Zip(entries), "\"v1\"");
        var spec = CacheHarness.Spec("web", server.ObjectUri, BundleFormat.Zip);
        _harness.Cache.PrepareRoot([spec]);
        var killed = KilledAttempt("5a5a5a5a", entries.Take(10));

        // The retry (the killed attempt moved aside for it) has its fetch of the other ten files held, and is ended
        // (shutdown) while waiting for them.
        _harness.Cache.PrepareRoot([spec]);
        Assert.False(Directory.Exists(killed));
        server.HoldFromOffset = 0;
        using var shutdown = new CancellationTokenSource();
        var retry = _harness.Cache.PrepareAsync(spec, shutdown.Token);
        await server.Holding.WaitAsync(Generous.Wait);
        var attempts = new CacheLayout(_harness.Root).AttemptsOf("web");
        Assert.True(
            await Poll.UntilAsync(() => Directory.Exists(attempts) && Directory.EnumerateDirectories(attempts).Any(a => entries.Take(10).All(e => File.Exists(Path.Join(a, e.Name))))),
            "the reused files were not linked into the retry's folder while its fetch was held");
        await shutdown.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => retry);
        server.Release();

        var kept = new CacheLayout(_harness.Root).ResumePath("web");
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(entries[i].Content, File.ReadAllBytes(Path.Join(kept, entries[i].Name)));
        }
    }

    [Fact]
    public async Task A_killed_staging_file_with_the_right_size_but_wrong_content_is_fetched_again()
    {
        var entries = Files(3);
        using var server = new LoopbackHttpServer(ArchiveBuilder.Zip(entries), "\"v1\"");
        var spec = CacheHarness.Spec("web", server.ObjectUri, BundleFormat.Zip);
        _harness.Cache.PrepareRoot([spec]);
        var killed = KilledAttempt("0b0b0b0b", entries.Take(1));
        File.WriteAllBytes(Path.Join(killed, entries[1].Name), new byte[FileBytes]);

        var result = await _harness.PrepareAsync(spec);

        Assert.Equal(1, result.DeltaFilesReused);
        AssertExactTree(entries, result.PublishedPath);
    }

    [Fact]
    public async Task Neighbouring_changed_entries_are_fetched_as_one_run()
    {
        var v1 = Files(12);
        using var server = new LoopbackHttpServer(ArchiveBuilder.Zip(v1), "\"v1\"");
        var spec = CacheHarness.Spec("web", server.ObjectUri, BundleFormat.Zip);
        await _harness.PrepareAsync(spec);

        var v2 = v1.ToList();
        foreach (var i in new[] { 4, 5, 7 })
        {
            v2[i] = ArchiveEntry.File(v1[i].Name, Random(FileBytes, 500 + i));
        }

        server.Content = ArchiveBuilder.Zip(v2);
        server.ETag = "\"v2\"";
        var requestsBefore = server.RangeHeaders.Count;
        var result = await _harness.PrepareAsync(spec);

        var ranges = server.RangeHeaders.Skip(requestsBefore).ToList();
        var dataRanges = ranges.Where(r => !r.StartsWith("bytes=-", StringComparison.Ordinal) && r != "(none)")
            .Select(r => (First: long.Parse(r[6..r.IndexOf('-', StringComparison.Ordinal)], CultureInfo.InvariantCulture), Last: long.Parse(r[(r.IndexOf('-', StringComparison.Ordinal) + 1)..], CultureInfo.InvariantCulture)))
            .OrderBy(r => r.First)
            .ToList();
        Assert.Equal(9, result.DeltaFilesReused);

        // Entries 4, 5 and 7 (entry 6 between them is much less than the merge gap): one run from entry 4's local
        // header to entry 8's, cut into pieces of the configured part size, back to back.
        Assert.True(dataRanges.Count > 1, "the harness's 64 KiB parts cut the run into pieces");
        for (var i = 1; i < dataRanges.Count; i++)
        {
            Assert.Equal(dataRanges[i - 1].Last + 1, dataRanges[i].First);
        }

        Assert.InRange(dataRanges[^1].Last - dataRanges[0].First + 1, 4L * FileBytes, 5L * FileBytes);
        AssertExactTree(v2, result.PublishedPath);
    }

    /// <summary>The folder an INIT killed mid-download leaves for bundle <c>web</c>: attempt <paramref name="id"/> holding <paramref name="whole"/> complete.</summary>
    private string KilledAttempt(string id, IEnumerable<ArchiveEntry> whole)
    {
        var killed = new CacheLayout(_harness.Root).AttemptPath("web", id);
        Directory.CreateDirectory(Path.Join(killed, "pkg"));
        foreach (var entry in whole)
        {
            File.WriteAllBytes(Path.Join(killed, entry.Name), entry.Content!);
        }

        return killed;
    }

    [Fact]
    public void Ranges_closer_than_the_gap_merge_and_far_ones_stay_apart()
    {
        var merged = RangeSetStream.Merge([new(100, 10), new(0, 50), new(60, 10), new(5000, 1), new(120, 0)], maxGap: 100);

        Assert.Equal([new ObjectRange(0, 110), new ObjectRange(5000, 1)], merged);
    }

    private static List<ArchiveEntry> Files(int count) =>
        Enumerable.Range(0, count).Select(i => ArchiveEntry.File($"pkg/f{i:00}.bin", Random(FileBytes, i))).ToList();

    private static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static string Resolve(string published) => new DirectoryInfo(published).ResolveLinkTarget(returnFinalTarget: true)!.FullName;

    private static void AssertExactTree(IReadOnlyList<ArchiveEntry> entries, string published)
    {
        var expected = entries.Where(e => !e.IsDirectory && e.LinkTarget is null).ToDictionary(e => e.Name, e => e.Content!);
        var actual = Directory.EnumerateFiles(published, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
            .Select(p => Path.GetRelativePath(published, p))
            .Where(p => !p.StartsWith(".extension-cache-", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual);
        foreach (var (name, content) in expected)
        {
            Assert.True(new FileInfo(Path.Join(published, name)).LinkTarget is null, $"{name} must be a regular file");
            Assert.Equal(content, File.ReadAllBytes(Path.Join(published, name)));
        }
    }

    private static long Inode(string path)
    {
        using var process = Process.Start(new ProcessStartInfo("stat", ["-c", "%i", path]) { RedirectStandardOutput = true })!;
        var text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return long.Parse(text.Trim(), CultureInfo.InvariantCulture);
    }
}
