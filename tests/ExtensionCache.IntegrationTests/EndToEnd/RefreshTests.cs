using System.Globalization;
using System.Text.Json;
using ExtensionCache.IntegrationTests.Fixtures;
using ExtensionCache.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace ExtensionCache.IntegrationTests.EndToEnd;

/// <summary>
/// Refresh in the emulator with the real layer and s3rver: an object replaced while a function serves from it
/// reaches the running environment (on demand through INVOKE, on Managed Instances through a timer), every invoke
/// sees one complete version, /tmp stays bounded, and a failed refresh keeps the old version.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class RefreshTests(LayerFixture layer, S3ServerFixture s3, ITestOutputHelper output)
    : EndToEndTestBase(layer, s3, output)
{
    private const int PeriodSeconds = 1;
    private const int Padding = 256 * 1024;

    [Fact]
    public async Task A_replaced_object_reaches_a_warm_environment_within_a_period_and_every_invoke_sees_one_version()
    {
        var key = $"refresh/{Guid.NewGuid():N}.zip";
        await S3.UploadAsync(key, VersionEchoRuntime.Archive(Work.Path, "v0", Padding));
        var tmp = NewTmp("env");

        // A wait that covers a whole check of this small bundle (the longest wait there is, so a busy machine does not
        // outlast it): the invoke that starts the check ends with the new version published, so the next invoke sees
        // it. (With the default 100 ms a longer check goes on over the following thaws.)
        var request = Request(key, tmp, []) with
        {
            Environment = BundleEnvironment(
                $"data=s3://{S3ServerFixture.Bucket}/{key}",
                ("EXTENSION_CACHE_REFRESH_SECONDS", PeriodSeconds.ToString(CultureInfo.InvariantCulture)),
                ("EXTENSION_CACHE_REFRESH_WAIT_MS", "10000")),
        };

        await using var emulator = await ServeModeEmulator.StartAsync(Layout, request, Output);
        var seen = new List<string>();
        var served = S3.BytesServed(key);
        for (var round = 1; round <= 3; round++)
        {
            for (var i = 0; i < 15; i++)
            {
                seen.Add(await InvokeVersionAsync(emulator));
            }

            var version = $"v{round}";
            await S3.UploadAsync(key, VersionEchoRuntime.Archive(Work.Path, version, Padding));
            await Task.Delay(TimeSpan.FromSeconds(PeriodSeconds));

            // Within one period plus one invoke: the invoke after the period starts the check; the one after sees it.
            var invokesUntilSeen = 0;
            string answer;
            do
            {
                answer = await InvokeVersionAsync(emulator);
                seen.Add(answer);
                invokesUntilSeen++;
                if (answer != version)
                {
                    await Task.Delay(200);
                }
            }
            while (answer != version && invokesUntilSeen < 10);

            Assert.Equal(version, answer);
            var bytes = S3.BytesServed(key) - served;
            served = S3.BytesServed(key);
            Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{version}: seen after {invokesUntilSeen} invoke(s), {bytes} bytes from s3rver"));
            Assert.True(invokesUntilSeen <= 3, $"{version} took {invokesUntilSeen} invokes");
            Assert.InRange(bytes, Padding, Padding * 3);
            var store = Directory.GetDirectories(Path.Join(tmp, "extension-cache", ".store"));
            Assert.True(store.Length <= 2, $"/tmp holds {store.Length} versions: {string.Join(", ", store)}");
        }

        Assert.True(seen.Count >= 50, $"{seen.Count} invokes");
        Assert.Equal(["v0", "v1", "v2", "v3"], seen.Distinct());

        var lines = emulator.Lines;
        Assert.Contains("EXTENSION Name: extension-cache State: Ready Events: [INVOKE, SHUTDOWN]", lines);
        Assert.Equal(3, lines.Count(l => l.Contains(" refreshing bundle=data", StringComparison.Ordinal)));
        var metrics = lines.Where(l => l.StartsWith("{\"_aws\"", StringComparison.Ordinal)).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(metrics, m => m.GetProperty("Event").GetString() == "refresh" && m.GetProperty("DownloadedBytes").GetInt64() > Padding);
        foreach (var post in lines.Where(l => l.StartsWith("REPORT ", StringComparison.Ordinal) && l.Contains("Post Runtime", StringComparison.Ordinal)))
        {
            Output.WriteLine("post-runtime: " + post[post.IndexOf("Post Runtime", StringComparison.Ordinal)..]);
        }
    }

    [Fact]
    public async Task Timer_driven_refresh_on_Managed_Instances_never_shows_a_worker_a_missing_file()
    {
        var key = $"refresh/{Guid.NewGuid():N}.zip";
        await S3.UploadAsync(key, VersionEchoRuntime.Archive(Work.Path, "v0", Padding));
        var tmp = NewTmp("env");
        var request = Request(key, tmp, ["--managed-instances", "--concurrency", "8"]);

        await using var emulator = await ServeModeEmulator.StartAsync(Layout, request, Output);
        using var stop = new CancellationTokenSource();
        var answers = new System.Collections.Concurrent.ConcurrentBag<ServeModeInvoke>();
        var load = Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            while (!stop.IsCancellationRequested)
            {
                answers.Add(await emulator.InvokeAsync("{}"));
            }
        }));

        for (var round = 1; round <= 3; round++)
        {
            await S3.UploadAsync(key, VersionEchoRuntime.Archive(Work.Path, $"v{round}", Padding));
            await Task.Delay(TimeSpan.FromSeconds(PeriodSeconds * 3));
        }

        // The load goes on until a worker has answered from v3 (a busy machine may take longer than three periods).
        var guard = System.Diagnostics.Stopwatch.StartNew();
        while (!answers.Any(a => !a.IsError && a.Body.Contains("\"v3\"", StringComparison.Ordinal)) && guard.Elapsed < TimeSpan.FromMinutes(2))
        {
            await Task.Delay(100);
        }

        await stop.CancelAsync();
        await load;
        var errors = answers.Where(a => a.IsError).Select(a => a.Body).ToList();
        Assert.True(errors.Count == 0, $"{errors.Count} failed invokes, first: {errors.FirstOrDefault()}");
        var versions = answers.Select(a => JsonDocument.Parse(a.Body).RootElement).ToList();
        Assert.All(versions, v => Assert.Equal(v.GetProperty("version").GetString(), v.GetProperty("check").GetString()));
        Assert.Contains("v3", versions.Select(v => v.GetProperty("version").GetString()));
        Assert.Contains("EXTENSION Name: extension-cache State: Ready Events: [SHUTDOWN]", emulator.Lines);
        Output.WriteLine($"{answers.Count} invokes across the swaps");
    }

    [Fact]
    public async Task A_failed_refresh_keeps_serving_the_old_version_with_a_stale_status()
    {
        var key = $"refresh/{Guid.NewGuid():N}.zip";
        await S3.UploadAsync(key, VersionEchoRuntime.Archive(Work.Path, "v0", Padding));
        var tmp = NewTmp("env");

        await using var emulator = await ServeModeEmulator.StartAsync(Layout, Request(key, tmp, []), Output);
        Assert.Equal("v0", await InvokeVersionAsync(emulator));

        // Not a zip any more: the check sees a new version, the download fails, v0 stays.
        var broken = Path.Join(Work.Path, "broken.zip");
        await File.WriteAllTextAsync(broken, "this is not a zip archive, only text that is long enough to probe");
        await S3.UploadAsync(key, broken);
        await Task.Delay(TimeSpan.FromSeconds(PeriodSeconds));

        // Invokes keep getting v0 until (and after) the check has failed and said so in the status.
        var statusPath = Path.Join(tmp, "extension-cache", ".status", "data.json");
        JsonElement status;
        var guard = System.Diagnostics.Stopwatch.StartNew();
        do
        {
            Assert.Equal("v0", await InvokeVersionAsync(emulator));
            await Task.Delay(300);
            status = JsonDocument.Parse(await File.ReadAllTextAsync(statusPath)).RootElement;
        }
        while (status.GetProperty("status").GetString() != "stale" && guard.Elapsed < TimeSpan.FromMinutes(2));

        Assert.Equal("v0", await InvokeVersionAsync(emulator));
        Assert.Equal("stale", status.GetProperty("status").GetString());
        Assert.StartsWith("Extension.", status.GetProperty("errorType").GetString(), StringComparison.Ordinal);
        Assert.Contains(emulator.Lines, l => l.Contains("refresh failed, keeping the published version bundle=data", StringComparison.Ordinal));
        foreach (var post in emulator.Lines.Where(l => l.StartsWith("REPORT ", StringComparison.Ordinal) && l.Contains("Post Runtime", StringComparison.Ordinal)))
        {
            Output.WriteLine("post-runtime (default wait): " + post[post.IndexOf("Post Runtime", StringComparison.Ordinal)..]);
        }
    }

    [Fact]
    public async Task A_download_cut_off_by_a_freeze_resumes_after_the_thaw()
    {
        const int Size = 2 * 1024 * 1024;
        var key = $"refresh/{Guid.NewGuid():N}.zip";
        await S3.UploadAsync(key, VersionEchoRuntime.Archive(Work.Path, "v0", Size));
        var tmp = NewTmp("env");

        // 1 MB/s: the 2 MB download of v1 lasts about 2 s, over many freezes; the extension calls next at once.
        await using var proxy = ThrottlingTcpProxy.Start(new Uri(S3.ExtensionEnvironment["AWS_ENDPOINT_URL_S3"]), 1024 * 1024);
        var request = Request(key, tmp, []) with
        {
            Environment = BundleEnvironment(
                $"data=s3://{S3ServerFixture.Bucket}/{key}",
                ("EXTENSION_CACHE_REFRESH_SECONDS", PeriodSeconds.ToString(CultureInfo.InvariantCulture)),
                ("EXTENSION_CACHE_REFRESH_WAIT_MS", "0"),
                ("AWS_ENDPOINT_URL_S3", proxy.Url.ToString().TrimEnd('/'))),
        };

        await using var emulator = await ServeModeEmulator.StartAsync(Layout, request, Output);
        Assert.Equal("v0", await InvokeVersionAsync(emulator));
        await S3.UploadAsync(key, VersionEchoRuntime.Archive(Work.Path, "v1", Size));
        await Task.Delay(TimeSpan.FromSeconds(PeriodSeconds));

        // The invoke that starts the check returns at once and the sandbox freezes mid-download; each later invoke
        // thaws it for a moment; the download goes on where it was and v1 arrives.
        var invokes = 0;
        string answer;
        var guard = System.Diagnostics.Stopwatch.StartNew();
        do
        {
            answer = await InvokeVersionAsync(emulator);
            invokes++;
            await Task.Delay(300);
        }
        while (answer != "v1" && guard.Elapsed < TimeSpan.FromMinutes(3));

        Assert.Equal("v1", answer);
        Assert.DoesNotContain(emulator.Lines, l => l.Contains("refresh failed", StringComparison.Ordinal));
        var status = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Join(tmp, "extension-cache", ".status", "data.json"))).RootElement;
        Assert.Equal("ready", status.GetProperty("status").GetString());
        Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"v1 seen after {invokes} invokes with freezes in between"));
        foreach (var post in emulator.Lines.Where(l => l.StartsWith("REPORT ", StringComparison.Ordinal) && l.Contains("Post Runtime", StringComparison.Ordinal)))
        {
            Output.WriteLine("post-runtime (wait 0): " + post[post.IndexOf("Post Runtime", StringComparison.Ordinal)..]);
        }
    }

    [Fact]
    public async Task With_a_period_longer_than_the_INIT_limit_two_successive_updates_arrive_on_demand_over_freezes()
    {
        // 12 s: longer than the 10 s INIT limit, so every check runs in an environment older than INIT could be. The
        // refresh wait is the default 100 ms, and the bundle comes through a proxy at 8 MiB/s, so each 4 MiB update is
        // fetched over several invokes with the sandbox frozen in between, one freeze longer than the 5 s stall timeout.
        const int Period = 12;
        const int Size = 4 * 1024 * 1024;
        var key = $"refresh/{Guid.NewGuid():N}.zip";
        await S3.UploadAsync(key, VersionEchoRuntime.Archive(Work.Path, "v0", Size));
        var tmp = NewTmp("env");
        await using var proxy = ThrottlingTcpProxy.Start(new Uri(S3.ExtensionEnvironment["AWS_ENDPOINT_URL_S3"]), 8 * 1024 * 1024);
        var request = Request(key, tmp, []) with
        {
            Environment = BundleEnvironment(
                $"data=s3://{S3ServerFixture.Bucket}/{key}",
                ("EXTENSION_CACHE_REFRESH_SECONDS", Period.ToString(CultureInfo.InvariantCulture)),
                ("AWS_ENDPOINT_URL_S3", proxy.Url.ToString().TrimEnd('/'))),
        };

        await using var emulator = await ServeModeEmulator.StartAsync(Layout, request, Output);
        var started = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal("v0", await InvokeVersionAsync(emulator));
        for (var round = 1; round <= 2; round++)
        {
            var version = $"v{round}";
            await S3.UploadAsync(key, VersionEchoRuntime.Archive(Work.Path, version, Size));
            var uploaded = started.Elapsed;

            // Invokes every half second (one gap of 6 s, longer than the stall timeout) until the new version answers.
            var invokes = 0;
            string answer;
            do
            {
                await Task.Delay(invokes == 3 ? TimeSpan.FromSeconds(6) : TimeSpan.FromMilliseconds(500));
                answer = await InvokeVersionAsync(emulator);
                invokes++;
            }
            while (answer != version && started.Elapsed - uploaded < TimeSpan.FromMinutes(3));

            Assert.Equal(version, answer);
            Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{version}: seen {started.Elapsed.TotalSeconds:0.0} s into the environment's life, after {invokes} invokes"));
            Assert.True(started.Elapsed > TimeSpan.FromSeconds(Period * round), $"{version} arrived before its period");
        }

        var lines = emulator.Lines;
        Assert.DoesNotContain(lines, l => l.Contains("refresh failed", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("could not finish within", StringComparison.Ordinal));
        Assert.Equal(2, lines.Count(l => l.Contains(" refreshing bundle=data", StringComparison.Ordinal)));
        Assert.Equal(3, lines.Count(l => l.Contains(" published bundle=data", StringComparison.Ordinal)));
        var status = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Join(tmp, "extension-cache", ".status", "data.json"))).RootElement;
        Assert.Equal("ready", status.GetProperty("status").GetString());
        Assert.True(Directory.GetDirectories(Path.Join(tmp, "extension-cache", ".store", "data")).Length <= 2);
    }

    [Fact]
    public async Task Refresh_off_registers_for_SHUTDOWN_only()
    {
        var bundle = await UploadSampleBundleAsync();
        var request = new ServeModeRequest
        {
            Layers = [Layer.LayerZip],
            Function = VersionEchoRuntime.Write(Work.Combine("function"), "sample"),
            TmpDirectory = NewTmp("env"),
            Environment = BundleEnvironment($"sample={bundle.Uri}"),
        };

        await using var emulator = await ServeModeEmulator.StartAsync(Layout, request, Output);
        await emulator.InvokeAsync("{}");

        Assert.Contains("EXTENSION Name: extension-cache State: Ready Events: [SHUTDOWN]", emulator.Lines);
        Assert.DoesNotContain(emulator.Lines, l => l.Contains("refresh on", StringComparison.Ordinal));
    }

    private ServeModeRequest Request(string key, string tmp, string[] options) => new()
    {
        Layers = [Layer.LayerZip],
        Function = VersionEchoRuntime.Write(Work.Combine($"function-{Guid.NewGuid():N}"), "data"),
        TmpDirectory = tmp,
        Environment = BundleEnvironment(
            $"data=s3://{S3ServerFixture.Bucket}/{key}",
            ("EXTENSION_CACHE_REFRESH_SECONDS", PeriodSeconds.ToString(CultureInfo.InvariantCulture))),
        TimeoutSeconds = 30,
        Options = options,
    };

    private static async Task<string> InvokeVersionAsync(ServeModeEmulator emulator)
    {
        var answer = await emulator.InvokeAsync("{}");
        Assert.False(answer.IsError, answer.Body);
        var body = JsonDocument.Parse(answer.Body).RootElement;
        var version = body.GetProperty("version").GetString()!;
        Assert.Equal(version, body.GetProperty("check").GetString());
        return version;
    }
}
