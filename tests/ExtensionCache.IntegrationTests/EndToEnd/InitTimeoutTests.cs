using System.Text.Json;
using ExtensionCache.IntegrationTests.Fixtures;
using ExtensionCache.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace ExtensionCache.IntegrationTests.EndToEnd;

/// <summary>
/// An INIT that times out in the middle of a download, then the INIT that Lambda retries at the first invoke over
/// the same /tmp: the real layer and the .NET sample function in the emulator (serve mode), the bundle in s3rver
/// behind a proxy that sends a little over half of it and then holds the rest until the first INIT has timed out, so
/// the killed INIT has finished some files whatever the machine's speed.
/// The retried INIT resumes: it reuses the files the killed one finished (checked by size and CRC-32) and fetches
/// only the rest, counted at the proxy.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class InitTimeoutTests(LayerFixture layer, S3ServerFixture s3, ITestOutputHelper output)
    : EndToEndTestBase(layer, s3, output)
{
    // 12 × 512 KiB of incompressible data in 1 MiB parts, 2 in flight; the proxy sends 3.5 MiB at 4 MiB/s (the tail the
    // extension probes and at least the first two parts) and holds the rest. The first INIT gets 5 s, which leaves
    // seconds to unpack the parts it has; the retried one gets the function timeout of 30 s.
    private const int DataFiles = 12;
    private const int DataFileBytes = 512 * 1024;
    private const long ProxyBytesPerSecond = 4 * 1024 * 1024;
    private const long ProxyHoldAfterBytes = 3584 * 1024;
    private const double InitTimeoutSeconds = 5;
    private const double FunctionTimeoutSeconds = 30;

    [Fact]
    public async Task An_init_timed_out_mid_download_is_resumed_at_the_first_invoke_fetching_only_the_remainder_and_leaves_no_staging_or_old_version()
    {
        var zip = LargeBundleArchive.Create(Layout, Work.Combine("bundle"), DataFiles, DataFileBytes);
        var key = $"init-timeout/{Guid.NewGuid():N}.zip";
        var bundle = new UploadedBundle(await S3.UploadAsync(key, zip), key, BundleArchives.Sha256(zip), new FileInfo(zip).Length);
        await using var proxy = ThrottlingTcpProxy.Start(new Uri(S3.ExtensionEnvironment["AWS_ENDPOINT_URL_S3"]), ProxyBytesPerSecond, ProxyHoldAfterBytes);
        var tmp = NewTmp("env");
        var root = Path.Join(tmp, "extension-cache");
        var request = new ServeModeRequest
        {
            Layers = [Layer.LayerZip],
            Function = Layout.SampleFunctionDirectory,
            TmpDirectory = tmp,
            InitTimeoutSeconds = InitTimeoutSeconds,
            TimeoutSeconds = FunctionTimeoutSeconds,
            Environment = BundleEnvironment(
                $"sample={bundle.Uri}",
                ("AWS_ENDPOINT_URL_S3", proxy.Url.ToString().TrimEnd('/')),
                ("EXTENSION_CACHE_CONCURRENCY", "2"),
                ("EXTENSION_CACHE_PART_SIZE_MB", "1"),
                ("EXTENSION_CACHE_LOG_LEVEL", "DEBUG")),
        };

        // Serve mode returns once the first INIT is over; nothing runs in the sandbox until the first invoke, so
        // /tmp can be looked at exactly as the timed-out INIT left it.
        await using var emulator = await ServeModeEmulator.StartAsync(Layout, request, Output);
        var firstInit = emulator.Lines;
        var timeoutAt = IndexOf(firstInit, l => l.StartsWith("INIT_REPORT ", StringComparison.Ordinal));
        Assert.Contains("Phase: init Status: timeout", firstInit[timeoutAt], StringComparison.Ordinal);
        var beforeTimeout = firstInit.Take(timeoutAt).ToList();
        Assert.Contains(beforeTimeout, l => IsExtensionStep(l, "fetching bundle=sample"));
        Assert.DoesNotContain(beforeTimeout, l => IsExtensionStep(l, "published"));
        var servedInFirstInit = proxy.BytesDown;
        Output.WriteLine($"first INIT: {servedInFirstInit} of {bundle.Size} bytes sent when it timed out");
        Assert.InRange(servedInFirstInit, 1, bundle.Size - 1);

        // The killed INIT left a half-filled attempt folder and published nothing.
        var afterTimeout = CacheRootSnapshot.Take(root, "sample");
        var staging = Assert.Single(afterTimeout.Staging);
        var (stagedBytes, _) = CacheRootSnapshot.Footprint(afterTimeout.AttemptPath(staging));
        Output.WriteLine($"left by the timed-out INIT: attempt {staging} with {stagedBytes} bytes; store [{string.Join(", ", afterTimeout.StoreVersions)}]");
        Assert.InRange(stagedBytes, DataFileBytes, (long)DataFiles * DataFileBytes - 1);
        Assert.Null(afterTimeout.PublishedVersion);
        Assert.Empty(afterTimeout.StoreVersions);

        // The first invoke retries INIT (Lambda does it under the function timeout) and then answers from the bundle.
        proxy.Release();
        var started = emulator.LineCount;
        var answer = await emulator.InvokeAsync("""{"name":"retried"}""");
        Assert.False(answer.IsError, $"the invoke after the INIT timeout failed: {answer.Body}");
        using (var body = JsonDocument.Parse(answer.Body))
        {
            var response = body.RootElement;
            Assert.Equal("Hello, retried, from the bundle!", response.GetProperty("greeting").GetString());
            Assert.Equal(Path.Join(root, "sample"), response.GetProperty("bundlePath").GetString());
            // A resume never reads the whole archive: the manifest carries the entry-list hash, not the archive's.
            Assert.StartsWith("entries-", response.GetProperty("manifest").GetProperty("sha256").GetString(), StringComparison.Ordinal);
            Assert.Equal(DataFiles + 1, response.GetProperty("manifest").GetProperty("files").GetInt32());
        }

        var retried = emulator.Lines.Skip(started).ToList();
        Assert.Contains(retried, l => l.StartsWith("INIT_START ", StringComparison.Ordinal));
        Assert.DoesNotContain(retried, l => l.StartsWith("INIT_REPORT ", StringComparison.Ordinal));
        // The retried INIT's extension kept the killed one's staging for a resume, then fetched only the rest.
        var keptAt = IndexOf(retried, l => IsExtensionStep(l, "keeping files for the next attempt bundle=sample why=\"an earlier attempt was killed\""));
        Assert.True(keptAt < IndexOf(retried, l => IsExtensionStep(l, "fetching bundle=sample")), "the killed staging is kept before the new download");
        Assert.Contains(retried, l => IsExtensionStep(l, "delta bundle=sample from=resume"));
        Assert.Contains(retried, l => IsExtensionStep(l, "published bundle=sample"));
        var servedInRetry = proxy.BytesDown - servedInFirstInit;
        Output.WriteLine($"proxy sent {servedInRetry} bytes in the retried INIT ({proxy.BytesDown} in all) for a {bundle.Size}-byte bundle");
        Assert.True(servedInRetry < bundle.Size, "the retried INIT fetches less than the whole object");
        AssertExactTree(zip, Path.Join(root, "sample"));

        // A warm invoke in the same environment, then /tmp: no staging, one store version, the one published.
        var warm = await emulator.InvokeAsync("""{"name":"warm"}""");
        Assert.False(warm.IsError, $"the warm invoke failed: {warm.Body}");
        var final = CacheRootSnapshot.Take(root, "sample");
        Output.WriteLine($"after the retried INIT: {final.Bytes} bytes, {final.Entries} entries, store [{string.Join(", ", final.StoreVersions)}] -> {final.PublishedVersion}");
        Assert.Empty(final.Staging);
        Assert.Equal([final.PublishedVersion!], final.StoreVersions);
        Assert.Matches("^[0-9a-f]{16}$", final.PublishedVersion);
        Assert.False(Directory.Exists(Path.Join(root, ".resume", "sample")), "the resume folder goes once the bundle is published");
        using var status = JsonDocument.Parse(File.ReadAllBytes(Path.Join(root, ".status", "sample.json")));
        Assert.Equal("ready", status.RootElement.GetProperty("status").GetString());
    }

    private static void AssertExactTree(string zipPath, string published)
    {
        using var zip = System.IO.Compression.ZipFile.OpenRead(zipPath);
        var expected = zip.Entries.Where(e => !e.FullName.EndsWith('/')).Select(e => e.FullName).Order(StringComparer.Ordinal).ToList();
        var actual = Directory.EnumerateFiles(published, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(published, f))
            .Where(f => !f.StartsWith(".extension-cache-", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(expected, actual);
        foreach (var entry in zip.Entries.Where(e => !e.FullName.EndsWith('/')))
        {
            using var stream = entry.Open();
            using var content = new MemoryStream();
            stream.CopyTo(content);
            Assert.True(content.ToArray().AsSpan().SequenceEqual(File.ReadAllBytes(Path.Join(published, entry.FullName))), $"{entry.FullName} differs from the archive");
        }
    }

    private static bool IsExtensionStep(string line, string step) =>
        line.StartsWith($"{EmulatorResult.ExtensionPrefix} {step}", StringComparison.Ordinal);

    private static int IndexOf(IReadOnlyList<string> lines, Func<string, bool> predicate)
    {
        for (var i = 0; i < lines.Count; i++)
        {
            if (predicate(lines[i]))
            {
                return i;
            }
        }

        Assert.Fail("no such line in the emulator's output");
        return -1;
    }
}
