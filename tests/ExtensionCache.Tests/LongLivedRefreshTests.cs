using System.Diagnostics;
using System.Text.Json;
using ExtensionCache.Contract;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Lifecycle;
using ExtensionCache.Tests.Fixtures;

namespace ExtensionCache.Tests;

/// <summary>
/// Refresh over the life of real environments, at the periods users set, on a fake clock: a Managed Instances
/// environment that lives for two days with an hourly period, and an on-demand one that lives for half a day with a
/// ten-minute period, frozen between invokes for minutes to hours. Each runs dozens of refreshes in a row through the
/// real scheduler and cache (a real zip on disk, real delta updates, real hard links), and /tmp must stay bounded.
/// </summary>
public sealed class LongLivedRefreshTests : IDisposable
{
    private const int Files = 40;
    private static readonly DateTime Epoch = new(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private readonly SteppedTime time = new(new DateTimeOffset(Epoch));
    private readonly CacheHarness harness;
    private readonly string archive;
    private readonly BundleSpec spec;
    private int version;

    public LongLivedRefreshTests()
    {
        harness = new CacheHarness(time: time);
        archive = harness.Temp.Combine("bundle-source.zip");
        WriteVersion();
        spec = CacheHarness.Spec("tools", new Uri("file://" + archive), BundleFormat.Zip);
    }

    public void Dispose() => harness.Dispose();

    [Fact]
    public async Task Managed_Instances_two_days_of_hourly_refreshes_each_update_arrives_by_delta_and_tmp_holds_at_most_two_versions()
    {
        var bundle = spec with { RefreshSeconds = 3600 };
        await harness.PrepareAsync(bundle);
        var scheduler = new RefreshScheduler([bundle], async (b, ct) => !(await harness.Cache.RefreshAsync(b, ct)).Failed, time, harness.Log.Log);
        using var stop = new CancellationTokenSource();
        var timer = scheduler.RunTimerAsync(stop.Token);

        // 48 hours; the bundle changes in 47 of them (one hour it does not: that check finds it unchanged).
        for (var hour = 1; hour <= 48; hour++)
        {
            if (hour != 24)
            {
                WriteVersion();
            }

            var checks = Count("refresh checked") + Count("published bundle=tools");
            Assert.True(await time.StepAsync(TimeSpan.FromHours(1), timer), $"the timer ended: {timer.Exception?.InnerException?.Message}");
            await WaitUntilAsync(() => Count("refresh checked") + Count("published bundle=tools") == checks + 1 && scheduler.NextDue("tools") > time.GetUtcNow());

            AssertPublished(version);
            Assert.InRange(StoreVersions(), 1, 2);
        }

        Assert.False(timer.IsCompleted, $"the timer ended: {timer.Exception?.InnerException?.Message}");
        await stop.CancelAsync();
        Assert.Equal(47, Count("published bundle=tools") - 1);
        Assert.Equal(47, Count("delta bundle=tools from=published "));
        Assert.Equal(0, Count("refresh failed"));
        Assert.Equal("ready", Status().GetProperty("status").GetString());
        Assert.Equal(time.GetUtcNow(), Status().GetProperty("checkedAt").GetDateTimeOffset(), TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task On_demand_half_a_day_frozen_between_invokes_every_update_arrives_at_the_first_invoke_after_its_period()
    {
        var bundle = spec with { RefreshSeconds = 600 };
        await harness.PrepareAsync(bundle);
        var scheduler = new RefreshScheduler([bundle], async (b, ct) => !(await harness.Cache.RefreshAsync(b, ct)).Failed, time, harness.Log.Log);
        var freezes = new[] { 3, 11, 47, 9, 7, 120, 25, 1, 14, 2 }.Select(m => TimeSpan.FromMinutes(m)).ToArray();
        var updates = 0;
        var invokes = 0;

        // Invokes come at irregular gaps (the sandbox frozen in between, up to two hours), and the bundle has changed
        // before every one. Each invoke thaws the sandbox and starts what is due, as the host does.
        while (time.GetUtcNow() - Epoch < TimeSpan.FromHours(12))
        {
            WriteVersion();
            harness.Clock.Thaw();
            var due = scheduler.NextDue("tools") <= time.GetUtcNow();
            var publishedBefore = Count("published bundle=tools");
            await scheduler.StartDue(CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(1));
            harness.Clock.Pause();

            // A check ran at exactly the invokes one was due at, and brought the version the source had then.
            if (due)
            {
                AssertPublished(version);
                Assert.Equal(publishedBefore + 1, Count("published bundle=tools"));
                updates++;
            }
            else
            {
                Assert.Equal(publishedBefore, Count("published bundle=tools"));
            }

            Assert.InRange(StoreVersions(), 1, 2);
            time.Advance(freezes[++invokes % freezes.Length]);
        }

        Assert.Equal(18, updates);
        Assert.Equal(31, invokes);
        Assert.Equal(0, Count("refresh failed"));
        Assert.True(harness.Clock.Running < TimeSpan.FromMinutes(1), $"running time {harness.Clock.Running} in 12 hours of mostly frozen life");
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var guard = Stopwatch.StartNew();
        while (!condition() && guard.Elapsed < TimeSpan.FromMinutes(1))
        {
            await Task.Delay(1);
        }

        Assert.True(condition(), "the refresh check did not finish within a minute");
    }

    /// <summary>A new version of the source: 40 files of which one changes each time, and a version file.</summary>
    private void WriteVersion()
    {
        version++;
        var entries = Enumerable.Range(0, Files)
            .Select(i => ArchiveEntry.File($"lib/f{i:D2}.txt", i == version % Files ? $"changed in v{version}" : $"file {i}"))
            .Append(ArchiveEntry.File("version.txt", $"v{version}"))
            .ToList();
        File.WriteAllBytes(archive, ArchiveBuilder.Zip(entries));

        // The file source's version is size and mtime: a new mtime per version, as a new upload would have.
        File.SetLastWriteTimeUtc(archive, Epoch.AddMinutes(version));
    }

    private int PublishedVersion() => int.Parse(File.ReadAllText(Path.Join(harness.Root, "tools", "version.txt"))[1..], System.Globalization.CultureInfo.InvariantCulture);

    private void AssertPublished(int expected)
    {
        Assert.Equal($"v{expected}", File.ReadAllText(Path.Join(harness.Root, "tools", "version.txt")));
        Assert.Equal($"changed in v{expected}", File.ReadAllText(Path.Join(harness.Root, "tools", $"lib/f{expected % Files:D2}.txt")));
    }

    private int StoreVersions() => Directory.GetDirectories(new CacheLayout(harness.Root).VersionsOf("tools")).Length;

    private int Count(string text)
    {
        var log = harness.Log.Text;
        var count = 0;
        for (var at = log.IndexOf(text, StringComparison.Ordinal); at >= 0; at = log.IndexOf(text, at + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private JsonElement Status() =>
        JsonDocument.Parse(File.ReadAllText(new CacheLayout(harness.Root).StatusPath("tools"))).RootElement;
}
