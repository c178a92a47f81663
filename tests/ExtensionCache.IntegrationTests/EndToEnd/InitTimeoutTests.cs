using System.IO.Compression;
using System.Text.Json;
using ExtensionCache.IntegrationTests.Fixtures;
using ExtensionCache.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace ExtensionCache.IntegrationTests.EndToEnd;

/// <summary>
/// A bundle that needs more than one INIT, at Lambda's real limits: the on-demand INIT limit of 10 s, then the INIT
/// Lambda retries at the first invoke under the function timeout. The real layer and the .NET sample function in the
/// emulator (serve mode), the bundle in s3rver behind a proxy that gives each connection a fixed bandwidth (as S3 and
/// nginx's limit_rate do), so the download takes about 1.5 times the INIT limit whatever the machine's speed. The
/// extension never gives up on its own; whatever an ended attempt wrote completely is kept and not fetched again.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class InitTimeoutTests(LayerFixture layer, S3ServerFixture s3, ITestOutputHelper output)
    : EndToEndTestBase(layer, s3, output)
{
    // Bytes fetched beyond the unfinished entries' own: the probe's tail and central directory, response headers,
    // and a request made again. Small against a 1.5 MiB file.
    private const long Overhead = 256 * 1024;

    // Invokes the 3 s-timeout test makes at most (90 s): about 8 are needed on an idle machine.
    private const int MaxAttempts = 30;

    [Fact]
    public async Task A_bundle_needing_one_and_a_half_INIT_limits_is_ready_in_the_retried_INIT_fetching_only_the_files_the_first_did_not_finish()
    {
        // 16 files of 1.5 MiB (24 MiB) at 512 KiB/s per connection, 4 in flight by default: about 15 s of transfer.
        var bundle = await UploadAsync(files: 16, fileBytes: 1536 * 1024);
        await using var proxy = ThrottlingTcpProxy.Start(new Uri(S3.ExtensionEnvironment["AWS_ENDPOINT_URL_S3"]), 512 * 1024, perConnection: true);
        var tmp = NewTmp("env");
        var root = Path.Join(tmp, "extension-cache");

        // The real limits: 10 s for the first INIT, and the function timeout (60 s) for the one Lambda retries.
        await using var emulator = await ServeModeEmulator.StartAsync(Layout, Request(bundle, proxy, tmp, functionTimeoutSeconds: 60), Output);
        var firstInit = emulator.Lines;
        Assert.Contains(firstInit, l => l.StartsWith("INIT_REPORT ", StringComparison.Ordinal) && l.Contains("Phase: init Status: timeout", StringComparison.Ordinal));
        Assert.DoesNotContain(firstInit, l => IsExtensionStep(l, "published"));
        Assert.DoesNotContain(firstInit, l => IsExtensionStep(l, "bundle failed"));
        var served = proxy.BytesDown;
        var kept = Kept(root, bundle);
        Output.WriteLine($"first INIT: {served} of {bundle.Size} bytes sent; {kept.Complete.Count} of {bundle.Files.Count} files complete on disk");
        AssertNothingPublished(root);
        Assert.NotEmpty(kept.Complete);
        Assert.NotEqual(bundle.Files.Count, kept.Complete.Count);

        var started = emulator.LineCount;
        var answer = await emulator.InvokeAsync("""{"name":"retried"}""");

        Assert.False(answer.IsError, $"the invoke after the INIT timeout failed: {answer.Body}");
        Assert.Equal("Hello, retried, from the bundle!", JsonDocument.Parse(answer.Body).RootElement.GetProperty("greeting").GetString());
        var retried = emulator.Lines.Skip(started).ToList();
        Assert.Contains(retried, l => l.StartsWith("INIT_START ", StringComparison.Ordinal));
        Assert.DoesNotContain(retried, l => l.StartsWith("INIT_REPORT ", StringComparison.Ordinal));
        Assert.Contains(retried, l => IsExtensionStep(l, $"delta bundle=sample from=resume reusedFiles={kept.Complete.Count} "));

        // The retry fetched the files the first attempt had not finished, and nothing it had.
        var retryBytes = proxy.BytesDown - served;
        Output.WriteLine($"retried INIT: {retryBytes} bytes sent; the unfinished files hold {kept.UnfinishedBytes}");
        Assert.InRange(retryBytes, kept.UnfinishedBytes - (2 * bundle.FileBytes), kept.UnfinishedBytes + Overhead);
        AssertPublishedExactly(root, bundle);
    }

    [Fact]
    public async Task With_a_3_s_function_timeout_the_bundle_becomes_ready_within_a_few_invokes_each_fetching_only_what_is_left()
    {
        // 48 files of 512 KiB (24 MiB) at 512 KiB/s per connection: a 3 s retry finishes a few files each time.
        var bundle = await UploadAsync(files: 48, fileBytes: 512 * 1024);
        await using var proxy = ThrottlingTcpProxy.Start(new Uri(S3.ExtensionEnvironment["AWS_ENDPOINT_URL_S3"]), 512 * 1024, perConnection: true);
        var tmp = NewTmp("env");
        var root = Path.Join(tmp, "extension-cache");

        await using var emulator = await ServeModeEmulator.StartAsync(Layout, Request(bundle, proxy, tmp, functionTimeoutSeconds: 3), Output);
        var left = Kept(root, bundle).UnfinishedBytes;
        AssertNothingPublished(root);
        Output.WriteLine($"first INIT (10 s): {proxy.BytesDown} bytes sent, {left} left to fetch");

        var attempts = 0;
        ServeModeInvoke answer;
        do
        {
            attempts++;
            var before = proxy.BytesDown;
            answer = await emulator.InvokeAsync("""{"name":"patient"}""");
            var fetched = proxy.BytesDown - before;
            if (answer.IsError && CacheRootSnapshot.Take(root, "sample").PublishedVersion is null)
            {
                // A retried INIT ended by the 3 s timeout: nothing half-published, it fetched only from what was
                // left, and every file finished before it is still there. Whether it finished one more depends on how
                // much of its 3 s the process start took (most of it on a busy machine): the bundle being ready
                // within MaxAttempts, below, is what shows the retries add up.
                AssertNothingPublished(root);
                var now = Kept(root, bundle).UnfinishedBytes;
                Output.WriteLine($"attempt {attempts}: timed out after fetching {fetched} bytes; {now} left to fetch");
                Assert.True(fetched <= left + Overhead, $"attempt {attempts} fetched {fetched} bytes with {left} left");
                Assert.True(now <= left, $"attempt {attempts} lost finished files: {now} bytes left, {left} before");
                left = now;
            }
            else
            {
                // Published (the invoke itself may still have run out of its 3 s after the INIT that published).
                Output.WriteLine($"attempt {attempts}: published after fetching {fetched} bytes{(answer.IsError ? ", the invoke then timed out" : string.Empty)}");
                Assert.True(fetched <= left + Overhead, $"the last attempt fetched {fetched} bytes with {left} left");
                left = 0;
            }
        }
        while (answer.IsError && attempts < MaxAttempts);

        // Each 3 s retry keeps what it finished: about 1 MiB of the 8 MiB the first INIT left on an idle machine (the
        // rest of what it received was still in flight, ahead of the file being written, when it was ended), so
        // about 8 invokes; MaxAttempts leaves room for retries a busy machine starts too late to finish a file.
        Assert.False(answer.IsError, $"not ready after {attempts} invokes: {answer.Body}");
        if (attempts > 1)
        {
            Assert.Contains(emulator.Lines, l => l.StartsWith("INIT_REPORT ", StringComparison.Ordinal) && l.Contains("Phase: invoke Status: timeout", StringComparison.Ordinal));
        }

        AssertPublishedExactly(root, bundle);
    }

    private async Task<LargeBundle> UploadAsync(int files, int fileBytes)
    {
        var zip = LargeBundleArchive.Create(Layout, Work.Combine($"bundle-{files}"), files, fileBytes);
        var key = $"init-timeout/{Guid.NewGuid():N}.zip";
        var uri = await S3.UploadAsync(key, zip);
        using var archive = ZipFile.OpenRead(zip);
        var entries = archive.Entries.Where(e => !e.FullName.EndsWith('/'))
            .ToDictionary(e => e.FullName, e => (Compressed: e.CompressedLength, Content: Read(e)), StringComparer.Ordinal);
        return new LargeBundle(uri, zip, new FileInfo(zip).Length, fileBytes, entries);
    }

    private ServeModeRequest Request(LargeBundle bundle, ThrottlingTcpProxy proxy, string tmp, double functionTimeoutSeconds) => new()
    {
        Layers = [Layer.LayerZip],
        Function = Layout.SampleFunctionDirectory,
        TmpDirectory = tmp,
        TimeoutSeconds = functionTimeoutSeconds,
        InitTimeoutSeconds = null, // Lambda's own 10 s: the limit these tests are about.
        Environment = BundleEnvironment($"sample={bundle.Uri}", ("AWS_ENDPOINT_URL_S3", proxy.Url.ToString().TrimEnd('/'))),
    };

    /// <summary>
    /// What an ended attempt left for the next: its folder (still in <c>.staging</c> when it was killed, in
    /// <c>.resume</c> when it stopped on a signal), the files in it that are complete and exact, and the archive bytes
    /// of the entries that are not (what the next attempt has to fetch).
    /// </summary>
    private static KeptFiles Kept(string root, LargeBundle bundle)
    {
        var snapshot = CacheRootSnapshot.Take(root, "sample");
        var folders = snapshot.Staging.Select(snapshot.AttemptPath).ToList();
        if (snapshot.Resume)
        {
            folders.Add(CacheRootSnapshot.ResumePath(root, "sample"));
        }

        var complete = bundle.Files
            .Where(f => folders.Any(folder => File.Exists(Path.Join(folder, f.Key)) && File.ReadAllBytes(Path.Join(folder, f.Key)).AsSpan().SequenceEqual(f.Value.Content)))
            .Select(f => f.Key)
            .ToHashSet(StringComparer.Ordinal);
        var unfinished = bundle.Files.Where(f => !complete.Contains(f.Key)).Sum(f => f.Value.Compressed);
        return new KeptFiles(complete, unfinished);
    }

    private static void AssertNothingPublished(string root)
    {
        var snapshot = CacheRootSnapshot.Take(root, "sample");
        Assert.Null(snapshot.PublishedVersion);
        Assert.Empty(snapshot.StoreVersions);
        Assert.False(Path.Exists(Path.Join(root, "sample")));
    }

    /// <summary>The bundle is published exactly, ready, and nothing else is left: no attempt, no kept files, one version.</summary>
    private static void AssertPublishedExactly(string root, LargeBundle bundle)
    {
        var published = Path.Join(root, "sample");
        var actual = Directory.EnumerateFiles(published, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(published, f))
            .Where(f => !f.StartsWith(".extension-cache-", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(bundle.Files.Keys.Order(StringComparer.Ordinal), actual);
        foreach (var (name, entry) in bundle.Files)
        {
            Assert.True(entry.Content.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Join(published, name))), $"{name} differs from the archive");
        }

        var final = CacheRootSnapshot.Take(root, "sample");
        Assert.Empty(final.Staging);
        Assert.False(final.Resume, "the kept files go once the bundle is published");
        Assert.Equal([final.PublishedVersion!], final.StoreVersions);
        using var status = JsonDocument.Parse(File.ReadAllBytes(Path.Join(root, ".status", "sample.json")));
        Assert.Equal("ready", status.RootElement.GetProperty("status").GetString());
    }

    private static byte[] Read(ZipArchiveEntry entry)
    {
        using var stream = entry.Open();
        using var content = new MemoryStream();
        stream.CopyTo(content);
        return content.ToArray();
    }

    private static bool IsExtensionStep(string line, string step) =>
        line.StartsWith($"{EmulatorResult.ExtensionPrefix} {step}", StringComparison.Ordinal);

    private sealed record LargeBundle(string Uri, string Path, long Size, int FileBytes, Dictionary<string, (long Compressed, byte[] Content)> Files);

    private sealed record KeptFiles(HashSet<string> Complete, long UnfinishedBytes);
}
