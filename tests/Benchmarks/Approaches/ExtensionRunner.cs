using System.Diagnostics;
using System.Globalization;
using ExtensionCache.Benchmarks.Bundles;
using ExtensionCache.Benchmarks.ExtensionsApi;
using ExtensionCache.Benchmarks.Measurement;
using ExtensionCache.TestSupport;

namespace ExtensionCache.Benchmarks.Approaches;

/// <summary>
/// (c): the real extension-cache binary, end to end, in its default before-register mode. Its time is process start
/// to the register request (the bundle is published then, and Lambda would start the runtime); its peak RSS is
/// VmHWM read while it is parked in its first next, its idle RSS is VmRSS one second later (steady state: the
/// extension releases its buffers after publishing, which can take longer than 100 ms). With <paramref name="cpuList"/>
/// the process runs under <c>taskset -c</c>, pinned to those cores (Lambda gives 1,769 MB one vCPU).
/// </summary>
public sealed class ExtensionRunner(string binary, ScratchFilesystem scratch, int memoryMb, bool verifyPublished = true, string? cpuList = null)
{
    public const string BundleName = "bench";
    private const string ManifestFileName = ".extension-cache-manifest.json";
    private const string EntryIndexFileName = ".extension-cache-entries";
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(5);

    public string Root => Path.Combine(scratch.Path, "extension-cache");

    /// <summary>One cold run: the root is emptied first, so everything is downloaded and unpacked.</summary>
    public Task<RunSample> RunColdAsync(GeneratedBundle bundle, string uri, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        scratch.Clear();
        return RunAsync(bundle, uri, environment, cancellationToken, idleHold: TimeSpan.FromSeconds(1));
    }

    /// <summary>One run against whatever the root already holds (the reset case when it holds the bundle).</summary>
    public async Task<RunSample> RunAsync(GeneratedBundle bundle, string uri, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken, TimeSpan? idleHold = null)
    {
        await using var api = new MinimalExtensionsApi();
        var info = cpuList is null ? new ProcessStartInfo(binary) : new ProcessStartInfo("taskset", ["-c", cpuList, binary]);
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("AWS_", StringComparison.Ordinal) || k.StartsWith("EXTENSION_CACHE_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }

        info.Environment["AWS_LAMBDA_RUNTIME_API"] = $"127.0.0.1:{api.Port}";
        info.Environment["AWS_LAMBDA_FUNCTION_NAME"] = "bench";
        info.Environment["AWS_LAMBDA_FUNCTION_VERSION"] = "$LATEST";
        info.Environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = memoryMb.ToString(CultureInfo.InvariantCulture);
        info.Environment["EXTENSION_CACHE_BUNDLES"] = $"{BundleName}={uri}";
        info.Environment["EXTENSION_CACHE_ROOT"] = Root;
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var baseline = scratch.UsedBytes();
        using var tmp = new PeakSampler(() => scratch.IsDedicated ? scratch.UsedBytes() : null);
        var start = Stopwatch.GetTimestamp();
        await using var child = ChildProcess.Start(info);
        using var rss = new PeakSampler(() => ProcStatus.Read(child.Id)?.PeakRssBytes, intervalMs: 5);
        var exited = child.WaitForExitAsync(Bound, cancellationToken);
        if (await Task.WhenAny(api.NextArrived, exited).ConfigureAwait(false) != api.NextArrived)
        {
            var why = await exited.ConfigureAwait(false) ? $"exited with {child.ExitCode} before its first next" : $"no next within {Bound}";
            return Failed($"{api.ReportedError ?? why}\n{child.Output}");
        }

        if (api.ReportedError is not null)
        {
            return Failed($"{api.ReportedError}\n{child.Output}");
        }

        var registered = await api.Registered.ConfigureAwait(false);
        var wallMs = Stopwatch.GetElapsedTime(start, registered).TotalMilliseconds;
        var atNext = ProcStatus.Read(child.Id);
        var counters = ProcCounters.Read(child.Id);
        await Task.Delay(idleHold ?? TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
        var idle = ProcStatus.Read(child.Id);
        var peakRss = Math.Max(rss.Stop(), Math.Max(atNext?.PeakRssBytes ?? 0, idle?.PeakRssBytes ?? 0));
        var peakTmp = tmp.Stop();
        var final = scratch.UsedBytes();
        api.SendShutdown();
        string? error = null;
        if (!await child.WaitForExitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false))
        {
            error = "did not exit within the 2 s SHUTDOWN budget";
        }
        else if (child.ExitCode != 0)
        {
            error = $"exited with {child.ExitCode} after SHUTDOWN";
        }

        var published = Path.Combine(Root, BundleName);
        var tree = Directory.Exists(published) ? TreeSummary.Of(published + "/", ManifestFileName, EntryIndexFileName) : new TreeSummary(0, 0);
        if (verifyPublished && (tree.Files != bundle.Files || tree.Bytes != bundle.UnpackedBytes))
        {
            error = $"published {tree.Files} files / {tree.Bytes} bytes, expected {bundle.Files} / {bundle.UnpackedBytes}" + (error is null ? string.Empty : "; " + error);
        }

        if (error is not null)
        {
            error += "\n" + child.Output;
        }

        var sample = scratch.IsDedicated
            ? new RunSample(wallMs, peakTmp - baseline, final - baseline, peakRss, idle?.RssBytes, error)
            : new RunSample(wallMs, null, null, peakRss, idle?.RssBytes, error);
        return sample with { CpuMs = counters?.CpuMs };
    }

    private static RunSample Failed(string error) => new(0, null, null, null, null, error);
}
