using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using ExtensionCache.IntegrationTests.Fixtures;
using ExtensionCache.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace ExtensionCache.IntegrationTests.EndToEnd;

/// <summary>
/// The load run: 200 cold starts and 2,000 warm invokes in a row in one emulator process (serve mode), the
/// real layer against s3rver, with the bundle replaced in s3rver three times along the way. A cold start is a
/// sandbox reset: an invoke whose payload makes the runtime crash, after which the next invoke runs INIT again over
/// the same /tmp, with a new extension process, as Lambda does.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class LoadTests(LayerFixture layer, S3ServerFixture s3, ITestOutputHelper output)
    : EndToEndTestBase(layer, s3, output)
{
    private const int ColdStarts = 200;
    private const int WarmInvokesPerEnvironment = 10;
    private const string ExtensionCommand = "extension-cache";
    private const int MaxReportedFailures = 20;

    /// <summary>Environments before whose INIT a new version of the bundle is uploaded under the same key.</summary>
    private static readonly int[] BundleChanges = [50, 100, 150];

    /// <summary>
    /// Allowed growth of Max Memory Used between the early and the late environments. The figure is the peak resident
    /// memory, since INIT, of every process in the sandbox (the extension, a new process after each reset, and one
    /// bash), sampled every 50 ms and rounded up to a whole MB: it reads 23-24 MB in every environment of a run here.
    /// The two windows compared (resets 1-10 and the last 10) hold no bundle change, so both measure the same work (a
    /// probe, then reuse); their medians remove the 1 MB rounding jitter, and 2 MB on top covers a sample that lands
    /// on a GC or page-cache peak. What environments share is /tmp: growth there would show as a steady rise over 190
    /// resets, not as a 1-2 MB difference.
    /// </summary>
    private const int MemoryToleranceMb = 2;

    [Fact]
    public async Task Two_hundred_cold_starts_and_two_thousand_warm_invokes_without_failure_or_growth()
    {
        var total = Stopwatch.StartNew();
        var key = $"load/{Guid.NewGuid():N}.zip";
        var versions = new List<UploadedBundle> { await UploadVersionAsync(key, 0) };
        var tmp = NewTmp("env");
        var root = Path.Join(tmp, "extension-cache");
        var request = new ServeModeRequest
        {
            Layers = [Layer.LayerZip],
            Function = ManifestEchoRuntime.Write(Work.Combine("function"), "sample"),
            TmpDirectory = tmp,
            Environment = BundleEnvironment($"sample={versions[0].Uri}"),
        };

        await using var emulator = await ServeModeEmulator.StartAsync(Layout, request, Output);
        var failures = new List<string>();
        var environments = new List<EnvironmentFigures>();
        var warmInvokes = 0;
        var crashes = 0;
        var coldTime = TimeSpan.Zero;
        var warmTime = TimeSpan.Zero;
        for (var environment = 1; environment <= ColdStarts && failures.Count < MaxReportedFailures; environment++)
        {
            if (BundleChanges.Contains(environment))
            {
                versions.Add(await UploadVersionAsync(key, versions.Count));
            }

            var expected = versions[^1];
            var cold = Stopwatch.StartNew();
            if (environment > 1)
            {
                // The crash: an ERROR by design (Runtime.ExitError), then the reset; counted apart from the failures.
                var crash = await emulator.InvokeAsync(ManifestEchoRuntime.CrashPayload);
                crashes++;
                if (!crash.IsError || !crash.Body.Contains("Runtime.ExitError", StringComparison.Ordinal))
                {
                    failures.Add($"environment {environment}: the crash invoke answered {crash.Body}");
                }
            }

            var first = await emulator.InvokeAsync("{}");
            coldTime += cold.Elapsed;
            Check(failures, $"environment {environment}, cold invoke", first, expected);

            // The sandbox is frozen between invokes: /proc and /tmp hold still while they are read.
            var pid = emulator.LatestPidOf(ExtensionCommand);
            var descriptors = OpenFiles.Of(pid, ExtensionCommand);
            var emulatorFiles = OpenFiles.Of(emulator.ProcessId, "dotnet").Count;
            var snapshot = CacheRootSnapshot.Take(root, "sample");

            var warm = Stopwatch.StartNew();
            var last = first;
            for (var i = 0; i < WarmInvokesPerEnvironment; i++)
            {
                last = await emulator.InvokeAsync("{}");
                warmInvokes++;
                Check(failures, $"environment {environment}, warm invoke {i + 1}", last, expected);
            }

            warmTime += warm.Elapsed;
            var reportAt = await emulator.WaitForLineAsync(l => ReportLine.IsReportFor(l, last.RequestId), 0, Generous.Wait);
            var report = ReportLine.Parse(emulator.Lines[reportAt]);
            environments.Add(new EnvironmentFigures(
                environment, pid, descriptors, emulatorFiles, report.MaxMemoryUsedMb, snapshot, BundleChanges.Contains(environment)));
        }

        var lines = emulator.Lines;
        total.Stop();
        Output.WriteLine(
            $"{environments.Count} environments, {crashes} crash invokes, {warmInvokes} warm invokes in {total.Elapsed.TotalSeconds:0.0} s " +
            $"(cold starts incl. their crash invoke: {coldTime.TotalSeconds:0.0} s, {coldTime.TotalMilliseconds / environments.Count:0} ms each; " +
            $"warm: {warmTime.TotalSeconds:0.0} s, {warmTime.TotalMilliseconds / Math.Max(warmInvokes, 1):0.0} ms each)");
        foreach (var figures in environments.Where(e => e.Number <= 3 || e.Number >= ColdStarts - 2 || e.BundleChanged || BundleChanges.Contains(e.Number - 1)))
        {
            Output.WriteLine(figures.ToString());
        }

        Assert.True(failures.Count == 0, $"{failures.Count} failure(s):\n{string.Join('\n', failures)}");
        Assert.Equal(ColdStarts, environments.Count);
        Assert.Equal(ColdStarts * WarmInvokesPerEnvironment, warmInvokes);

        // 200 INITs, each with its own extension process, and nothing failed or timed out.
        Assert.Equal(ColdStarts, lines.Count(l => l.StartsWith("INIT_START ", StringComparison.Ordinal)));
        Assert.DoesNotContain(lines, l => l.StartsWith("INIT_REPORT ", StringComparison.Ordinal));
        Assert.Equal(ColdStarts, environments.Select(e => e.ExtensionPid).Distinct().Count());
        Assert.Equal(ColdStarts, emulator.PidsOf(ExtensionCommand).Count);

        // Every bundle change was downloaded exactly once; every other INIT reused what was published.
        Assert.Equal(versions.Count, lines.Count(l => l.StartsWith($"{EmulatorResult.ExtensionPrefix} fetching bundle=sample", StringComparison.Ordinal)));
        Assert.Equal(ColdStarts - versions.Count, lines.Count(l => l.StartsWith($"{EmulatorResult.ExtensionPrefix} reusing bundle=sample", StringComparison.Ordinal)));

        // /tmp: never a staging folder; one store version, two right after a change (the replaced one is removed
        // at the next start); after the last reset no bigger than after the first one plus one bundle version.
        foreach (var figures in environments)
        {
            Assert.Empty(figures.Root.Staging);
            Assert.Equal(figures.BundleChanged ? 2 : 1, figures.Root.StoreVersions.Count);
            Assert.Contains(figures.Root.PublishedVersion!, figures.Root.StoreVersions);
        }

        var afterFirstReset = environments[1].Root;
        var afterLastReset = environments[^1].Root;
        var (versionBytes, versionEntries) = CacheRootSnapshot.Footprint(afterLastReset.VersionPath(afterLastReset.PublishedVersion!));
        Output.WriteLine(
            $"cache root after the first reset: {afterFirstReset.Bytes} bytes, {afterFirstReset.Entries} entries; after the last: " +
            $"{afterLastReset.Bytes} bytes, {afterLastReset.Entries} entries; one version: {versionBytes} bytes, {versionEntries + 1} entries");
        Assert.InRange(afterLastReset.Bytes, 0, afterFirstReset.Bytes + versionBytes);
        Assert.InRange(afterLastReset.Entries, 0, afterFirstReset.Entries + versionEntries + 1);

        // Open files and memory: the late environments are no worse than the early ones (resets 1-10 vs the last 10).
        var early = environments.Skip(1).Take(10).ToList();
        var late = environments.TakeLast(10).ToList();
        Output.WriteLine($"extension fds early [{string.Join(' ', early.Select(e => e.OpenFiles))}] late [{string.Join(' ', late.Select(e => e.OpenFiles))}]; " +
            $"all environments: {string.Join(", ", environments.GroupBy(e => e.OpenFiles).OrderBy(g => g.Key).Select(g => $"{g.Key} fds x{g.Count()}"))}; " +
            $"first: [{string.Join(' ', environments[0].Descriptors)}]");
        Output.WriteLine($"emulator fds early [{string.Join(' ', early.Select(e => e.EmulatorOpenFiles))}] late [{string.Join(' ', late.Select(e => e.EmulatorOpenFiles))}] (the harness, not asserted)");
        Output.WriteLine($"Max Memory Used MB early [{string.Join(' ', early.Select(e => e.MaxMemoryUsedMb))}] late [{string.Join(' ', late.Select(e => e.MaxMemoryUsedMb))}]");
        Assert.True(
            late.Max(e => e.OpenFiles) <= early.Max(e => e.OpenFiles),
            $"the extension's open files grew: early max {early.Max(e => e.OpenFiles)}, late max {late.Max(e => e.OpenFiles)}");
        Assert.True(
            Median(late.Select(e => e.MaxMemoryUsedMb)) <= Median(early.Select(e => e.MaxMemoryUsedMb)) + MemoryToleranceMb,
            $"Max Memory Used grew by more than {MemoryToleranceMb} MB between early and late environments");
    }

    /// <summary>A new version of the bundle under the same key (the padding is random, so the content and ETag differ).</summary>
    private async Task<UploadedBundle> UploadVersionAsync(string key, int version)
    {
        var zip = BundleArchives.CreateSampleBundle(Layout, Directory.CreateDirectory(Work.Combine($"v{version}")).FullName);
        return new UploadedBundle(await S3.UploadAsync(key, zip), key, BundleArchives.Sha256(zip), new FileInfo(zip).Length)
        {
            Md5 = Convert.ToHexStringLower(MD5.HashData(await File.ReadAllBytesAsync(zip))),
        };
    }

    /// <summary>
    /// A RESPONSE (not an ERROR) naming the version uploaded last: the manifest's version is the object's ETag, which
    /// s3rver sets to the MD5 of a single-PUT object (the manifest's sha256 is the archive's only after a full fetch;
    /// after a delta update it is a hash of the entry list).
    /// </summary>
    private static void Check(List<string> failures, string what, ServeModeInvoke answer, UploadedBundle expected)
    {
        if (answer.IsError)
        {
            failures.Add($"{what}: ERROR {answer.Body}");
            return;
        }

        using var body = JsonDocument.Parse(answer.Body);
        var version = body.RootElement.GetProperty("version").GetString();
        if (version != expected.Md5)
        {
            failures.Add($"{what}: answered from version {version}, expected {expected.Md5}");
        }
    }

    private static double Median(IEnumerable<int> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2.0;
    }

    /// <summary>What one execution environment looked like after its INIT (open files, /tmp) and after its last warm invoke (memory).</summary>
    private sealed record EnvironmentFigures(
        int Number, int ExtensionPid, IReadOnlyList<string> Descriptors, int EmulatorOpenFiles, int MaxMemoryUsedMb, CacheRootSnapshot Root, bool BundleChanged)
    {
        /// <summary>
        /// The extension's descriptors, less reads of /proc files: the .NET runtime opens /proc/meminfo for a moment
        /// when the GC checks memory load (seen in 5 of 200 environments, frozen at that instant); it is not held.
        /// </summary>
        public int OpenFiles => Descriptors.Count(d => !d.StartsWith("/proc/", StringComparison.Ordinal));

        public override string ToString() => string.Create(
            CultureInfo.InvariantCulture,
            $"environment {Number}: extension pid {ExtensionPid}, {OpenFiles} fds (emulator {EmulatorOpenFiles}), Max Memory Used {MaxMemoryUsedMb} MB, cache root {Root.Bytes} bytes / {Root.Entries} entries, " +
            $"store [{string.Join(", ", Root.StoreVersions)}] -> {Root.PublishedVersion}{(BundleChanged ? " (bundle changed)" : "")}");
    }
}
