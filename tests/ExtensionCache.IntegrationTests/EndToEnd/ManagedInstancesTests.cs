using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using ExtensionCache.IntegrationTests.Fixtures;
using ExtensionCache.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace ExtensionCache.IntegrationTests.EndToEnd;

/// <summary>
/// The real layer on Lambda Managed Instances (the emulator's <c>--managed-instances</c>): the extension registers
/// for SHUTDOWN only, publishes before any runtime worker gets an invoke, and serves a multi-process function
/// through hundreds of concurrent invokes sharing one /tmp.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class ManagedInstancesTests(LayerFixture layer, S3ServerFixture s3, ITestOutputHelper output)
    : EndToEndTestBase(layer, s3, output)
{
    private const string Published = EmulatorResult.ExtensionPrefix + " published bundle=sample";
    private const string Registered = EmulatorResult.ExtensionPrefix + " registered";

    [Theory]
    [InlineData("before-register")]
    [InlineData("overlap")]
    public async Task Extension_registers_for_shutdown_only_and_publishes_before_any_worker_gets_an_invoke(string mode)
    {
        var bundle = await UploadSampleBundleAsync();
        var request = Request(bundle, NewTmp("env"), workers: 4, concurrency: 4, ("EXTENSION_CACHE_MODE", mode));

        await using var emulator = await ServeModeEmulator.StartAsync(Layout, request, Output);
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => emulator.InvokeAsync("{}")));

        var lines = emulator.Lines;
        Assert.Contains("EXTENSION Name: extension-cache State: Ready Events: [SHUTDOWN]", lines);
        Assert.Contains(lines, l => l.StartsWith("INIT_REPORT ", StringComparison.Ordinal) && l.Contains("Status: success", StringComparison.Ordinal));
        var published = IndexOf(lines, Published);
        var registered = IndexOf(lines, Registered);
        var firstInvoke = IndexOf(lines, "[worker ", l => l.Contains("] first invoke ", StringComparison.Ordinal));
        Assert.True(published < firstInvoke, "no worker may get an invoke before the bundle is published");
        Assert.True(published < IndexOf(lines, "START RequestId: "), "the first invoke starts after the bundle is published");
        if (mode == "before-register")
        {
            // The runtime starts only once every extension registered: not a single worker called next before publish.
            Assert.True(published < registered, "before-register: publish, then register");
            Assert.True(published < IndexOf(lines, "[worker ", l => l.EndsWith("] calling next", StringComparison.Ordinal)), "before-register: publish before any worker's next");
        }
        else
        {
            Assert.True(registered < published, "overlap: register (the runtime starts), then publish");
        }

        AssertAnswersFromBundle(answers, bundle);
    }

    [Fact]
    public async Task Five_hundred_invokes_eight_at_a_time_across_worker_processes_without_failure_or_tmp_growth()
    {
        const int Invokes = 500;
        const int AtOnce = 8;
        var bundle = await UploadSampleBundleAsync();
        var tmp = NewTmp("env");
        var root = Path.Join(tmp, "extension-cache");
        var request = Request(bundle, tmp, workers: AtOnce, concurrency: AtOnce);

        await using var emulator = await ServeModeEmulator.StartAsync(Layout, request, Output);
        var first = await emulator.InvokeAsync("{}");
        AssertAnswersFromBundle([first], bundle);
        var tmpAfterFirst = CacheRootSnapshot.Footprint(tmp);
        var rootAfterFirst = CacheRootSnapshot.Take(root, "sample");

        var clock = Stopwatch.StartNew();
        var answers = new ServeModeInvoke[Invokes];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, Invokes),
            new ParallelOptions { MaxDegreeOfParallelism = AtOnce },
            async (i, _) => answers[i] = await emulator.InvokeAsync($"{{\"n\":{i}}}"));
        clock.Stop();

        var failures = answers.Where(a => a.IsError).Select(a => a.Body).ToList();
        Assert.True(failures.Count == 0, $"{failures.Count} failed invokes, first: {failures.FirstOrDefault()}");
        AssertAnswersFromBundle(answers, bundle);
        Assert.Equal(Invokes, answers.Select(a => a.RequestId).Distinct(StringComparer.Ordinal).Count());
        var pids = answers.Select(a => Parse(a).GetProperty("pid").GetInt32()).Distinct().Count();
        Assert.True(pids > 1, "several worker processes must have served the invokes");

        // Every invoke is reported; the extension never ran another fetch, staging folder or version.
        var last = answers[^1].RequestId;
        await emulator.WaitForLineAsync(l => ReportLine.IsReportFor(l, last), 0, Generous.Wait);
        var lines = emulator.Lines;
        Assert.Equal(Invokes + 1, lines.Count(l => l.StartsWith("REPORT RequestId: ", StringComparison.Ordinal)));
        Assert.Single(lines, l => l.StartsWith(EmulatorResult.ExtensionPrefix + " fetching", StringComparison.Ordinal));
        var tmpAtEnd = CacheRootSnapshot.Footprint(tmp);
        var rootAtEnd = CacheRootSnapshot.Take(root, "sample");
        Assert.Equal(tmpAfterFirst, tmpAtEnd);
        Assert.Empty(rootAtEnd.Staging);
        Assert.Equal(rootAfterFirst.StoreVersions, rootAtEnd.StoreVersions);
        Assert.Equal(rootAfterFirst.PublishedVersion, rootAtEnd.PublishedVersion);
        Output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{Invokes} invokes, {AtOnce} at a time, {pids} worker processes: {clock.Elapsed.TotalSeconds:0.0} s ({Invokes / clock.Elapsed.TotalSeconds:0} invokes/s); /tmp {tmpAtEnd.Bytes} bytes in {tmpAtEnd.Entries} entries before and after"));
    }

    private ServeModeRequest Request(UploadedBundle bundle, string tmp, int workers, int concurrency, params (string Key, string Value)[] extra) => new()
    {
        Layers = [Layer.LayerZip],
        Function = WorkerProcessesRuntime.Write(Work.Combine($"function-{Guid.NewGuid():N}"), "sample", workers),
        TmpDirectory = tmp,
        Environment = BundleEnvironment($"sample={bundle.Uri}", extra),
        Options = ["--managed-instances", "--concurrency", concurrency.ToString(CultureInfo.InvariantCulture)],
    };

    private void AssertAnswersFromBundle(IReadOnlyList<ServeModeInvoke> answers, UploadedBundle bundle)
    {
        var greeter = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Layout.GreeterDll)));
        foreach (var answer in answers)
        {
            Assert.False(answer.IsError, answer.Body);
            var body = Parse(answer);
            Assert.Equal(answer.RequestId, body.GetProperty("requestId").GetString());
            Assert.Equal(bundle.Sha256, body.GetProperty("bundleSha256").GetString());
            Assert.Equal(greeter, body.GetProperty("greeterSha256").GetString());
        }
    }

    private static JsonElement Parse(ServeModeInvoke answer)
    {
        using var document = JsonDocument.Parse(answer.Body);
        return document.RootElement.Clone();
    }

    private static int IndexOf(IReadOnlyList<string> lines, string prefix, Func<string, bool>? also = null)
    {
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i].StartsWith(prefix, StringComparison.Ordinal) && (also is null || also(lines[i])))
            {
                return i;
            }
        }

        Assert.Fail($"no line starting with '{prefix}'");
        return -1;
    }
}
