using System.Diagnostics;
using System.IO.Compression;
using ExtensionCache.Benchmarks.Bundles;
using ExtensionCache.Benchmarks.Measurement;
using ExtensionCache.TestSupport;

namespace ExtensionCache.Benchmarks.Approaches;

/// <summary>
/// What a function does without the extension: one GET (curl, a single stream) of the whole zip into /tmp, then
/// unzip it there, with Info-ZIP (a) or ZipFile.ExtractToDirectory (b); and (d), extraction of a local copy only.
/// </summary>
public sealed class NaiveRunner(ScratchFilesystem scratch)
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(10);

    public async Task<RunSample> RunAsync(Approach approach, GeneratedBundle bundle, string? url, CancellationToken cancellationToken)
    {
        scratch.Clear();
        var work = scratch.NewFolder("naive");
        Directory.CreateDirectory(work);
        var archive = Path.Combine(work, "bundle.zip");
        var output = Path.Combine(work, "bundle");
        var baseline = scratch.UsedBytes();
        using var tmp = new PeakSampler(() => scratch.IsDedicated ? scratch.UsedBytes() : null);
        var start = Stopwatch.GetTimestamp();
        try
        {
            if (approach == Approach.LocalDotnetExtract)
            {
                await Task.Run(() => ZipFile.ExtractToDirectory(bundle.ZipPath, output), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                (await ChildProcess.RunAsync(ChildProcess.Info("curl", "-sS", "--fail", "-o", archive, url!), Bound, cancellationToken: cancellationToken).ConfigureAwait(false)).EnsureSucceeded();
                if (approach == Approach.NaiveUnzip)
                {
                    (await ChildProcess.RunAsync(ChildProcess.Info("unzip", "-q", archive, "-d", output), Bound, cancellationToken: cancellationToken).ConfigureAwait(false)).EnsureSucceeded();
                }
                else
                {
                    await Task.Run(() => ZipFile.ExtractToDirectory(archive, output), cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception exception) when (exception is InvalidOperationException or TimeoutException or IOException or InvalidDataException)
        {
            return new RunSample(0, null, null, null, null, exception.Message);
        }

        var wallMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        var peak = tmp.Stop();
        var final = scratch.UsedBytes();
        var tree = TreeSummary.Of(output);
        var error = tree.Files == bundle.Files && tree.Bytes == bundle.UnpackedBytes
            ? null
            : $"unpacked {tree.Files} files / {tree.Bytes} bytes, expected {bundle.Files} / {bundle.UnpackedBytes}";
        scratch.Clear();
        return scratch.IsDedicated
            ? new RunSample(wallMs, peak - baseline, final - baseline, null, null, error)
            : new RunSample(wallMs, null, null, null, null, error);
    }
}
