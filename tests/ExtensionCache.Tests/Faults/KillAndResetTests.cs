using ExtensionCache.Contract;
using System.Security.Cryptography;
using ExtensionCache.Extension.Publishing;
using ExtensionCache.Tests.Fixtures;
using ExtensionCache.Tests.Lambda;
using ExtensionCache.Tests.Lifecycle;

namespace ExtensionCache.Tests.Faults;

/// <summary>
/// The real extension process, killed or terminated while a bundle is half downloaded and half unpacked: the server
/// holds the download after its first part, so the test acts at a known point and never on a timer.
/// </summary>
public sealed class KillAndResetTests : IAsyncLifetime
{
    private const int PartBytes = 1 << 20;

    private static readonly byte[][] Payloads = [.. Enumerable.Range(0, 8).Select(_ => RandomNumberGenerator.GetBytes(512 * 1024))];

    private readonly FakeExtensionsApi _api = new();
    private readonly TempDirectory _temp = new();
    private readonly LoopbackHttpServer _server = new(ArchiveBuilder.TarGz(Payloads.Select((p, i) => ArchiveEntry.File($"lib/part{i}.bin", p))));

    private string Root => _temp.Combine("cache");

    private string Published => Path.Join(Root, "deps");

    private string Staging => Path.Join(Root, CacheLayout.StagingFolderName);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _server.Release();
        _server.Dispose();
        await _api.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task SIGKILL_mid_unpack_never_leaves_a_partial_publish_and_the_next_init_cleans_staging_and_completes()
    {
        _server.HoldFromOffset = PartBytes;
        await using (var killed = ExtensionProcess.Start(Environment()))
        {
            await _server.Holding.WaitAsync(Generous.Wait);
            await WaitForStagedFileAsync();
            Assert.False(Path.Exists(Published), "published while the download was still held");

            await killed.SignalAsync("KILL");
            await killed.WaitForExitAsync();
        }

        Assert.False(Path.Exists(Published), "a killed INIT left a published path");
        Assert.NotEmpty(Directory.EnumerateFileSystemEntries(Staging));

        _server.HoldFromOffset = long.MaxValue;
        _server.Release();
        await using var second = ExtensionProcess.Start(Environment());
        await _api.WaitForAsync("/event/next");

        for (var i = 0; i < Payloads.Length; i++)
        {
            Assert.Equal(Payloads[i], await File.ReadAllBytesAsync(Path.Join(Published, "lib", $"part{i}.bin")));
        }

        Assert.Empty(Directory.EnumerateFileSystemEntries(Staging));
        _api.EnqueueShutdown();
        Assert.Equal(0, await second.WaitForExitAsync(FakeExtensionsApi.ShutdownBudget));
    }

    [Fact]
    public async Task SIGTERM_during_a_download_exits_within_2_s_and_cleans_staging()
    {
        _server.HoldFromOffset = PartBytes;
        await using var extension = ExtensionProcess.Start(Environment());
        await _server.Holding.WaitAsync(Generous.Wait);
        await WaitForStagedFileAsync();

        await extension.SignalAsync("TERM");
        await extension.WaitForExitAsync(FakeExtensionsApi.ShutdownBudget);

        Assert.False(Path.Exists(Published));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Staging));
    }

    [Fact]
    public async Task Frozen_mid_download_for_longer_than_the_stall_timeout_then_thawed_the_download_recovers()
    {
        _server.HoldFromOffset = PartBytes;
        await using var extension = ExtensionProcess.Start(Environment());
        await _server.Holding.WaitAsync(Generous.Wait);

        await extension.SignalAsync("STOP");
        var requestsWhenFrozen = _server.Requests;

        // The freeze itself is the fault: it must outlast the 5 s stall timeout, so this delay is not a synchronisation.
        await Task.Delay(TimeSpan.FromSeconds(6));
        await extension.SignalAsync("CONT");

        // Thawed, the extension must notice the stalled part and ask for it again; only then is the server let go.
        Assert.True(
            await Poll.UntilAsync(() => _server.Requests > requestsWhenFrozen),
            $"the thawed extension never asked for the stalled part again; its output:\n{string.Join('\n', extension.Output)}");

        _server.HoldFromOffset = long.MaxValue;
        _server.Release();

        await _api.WaitForAsync("/event/next");
        for (var i = 0; i < Payloads.Length; i++)
        {
            Assert.Equal(Payloads[i], await File.ReadAllBytesAsync(Path.Join(Published, "lib", $"part{i}.bin")));
        }

        Assert.Empty(Directory.EnumerateFileSystemEntries(Staging));
        _api.EnqueueShutdown();
        Assert.Equal(0, await extension.WaitForExitAsync(FakeExtensionsApi.ShutdownBudget));
    }

    /// <summary>The first part was served; wait (on the file system, bounded) until the extractor has written into staging.</summary>
    private async Task WaitForStagedFileAsync() =>
        Assert.True(
            await Poll.UntilAsync(() => Directory.Exists(Staging) && Directory.EnumerateFiles(Staging, "*", SearchOption.AllDirectories).Any()),
            "the extension wrote nothing into staging from the part it was served");

    private Dictionary<string, string> Environment() => new()
    {
        ["AWS_LAMBDA_RUNTIME_API"] = _api.RuntimeApi,
        ["EXTENSION_CACHE_ROOT"] = Root,
        ["EXTENSION_CACHE_BUNDLES"] = $"deps={_server.ObjectUri}#format=tar.gz",
        ["EXTENSION_CACHE_PART_SIZE_MB"] = "1",
        ["EXTENSION_CACHE_CONCURRENCY"] = "1",
    };
}
