using ExtensionCache.Contract;
using ExtensionCache.Extension.Publishing;
using ExtensionCache.Tests.Fixtures;

namespace ExtensionCache.Tests.Publishing;

public sealed class PublisherTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly Publisher _publisher;

    public PublisherTests()
    {
        _publisher = new Publisher(_temp.Combine("root"));
        _publisher.CleanRoot([]);
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Publishing_swaps_a_relative_link_into_the_store_and_the_next_start_removes_the_replaced_version()
    {
        var first = Publish("lib", "v1", 'a');
        var second = Publish("lib", "v2", 'b');

        var link = new FileInfo(_publisher.PublishedPath("lib"));
        Assert.Equal(Path.Join(CacheLayout.StoreFolderName, "lib", Path.GetFileName(second)), link.LinkTarget);
        Assert.Equal("v2", File.ReadAllText(Path.Join(link.FullName, "marker")));

        // A reader may still be inside the replaced version: it goes at the next start, not at the swap.
        Assert.True(Directory.Exists(first));
        var removed = _publisher.CleanRoot(["lib"]);
        Assert.Contains(first, removed);
        Assert.False(Directory.Exists(first));
        Assert.True(Directory.Exists(second));
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(_publisher.Root), p => Path.GetFileName(p).StartsWith(".link-", StringComparison.Ordinal));
    }

    [Fact]
    public void Publishing_the_same_content_twice_gets_a_distinct_store_folder()
    {
        var first = Publish("lib", "same", 'c');
        var second = Publish("lib", "same", 'c');

        Assert.NotEqual(first, second);
        Assert.Equal("same", File.ReadAllText(Path.Join(_publisher.PublishedPath("lib"), "marker")));
    }

    [Fact]
    public async Task A_reader_never_sees_a_missing_or_partial_bundle_while_versions_are_swapped()
    {
        Publish("hot", "v0", '0');
        using var stop = new CancellationTokenSource();
        var path = Path.Join(_publisher.PublishedPath("hot"), "marker");
        var reads = 0;
        var reading = new TaskCompletionSource();
        var reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                // The content is always some complete version: never absent, never empty.
                var text = File.ReadAllText(path);
                Assert.StartsWith("v", text, StringComparison.Ordinal);
                Interlocked.Increment(ref reads);
                reading.TrySetResult();
            }
        });
        await reading.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var before = Volatile.Read(ref reads);

        for (var i = 1; i <= 30; i++)
        {
            Publish("hot", $"v{i}", (char)('a' + (i % 26)));
        }

        await stop.CancelAsync();
        await reader;
        Assert.True(Volatile.Read(ref reads) > before, "the reader kept reading while versions were swapped");
    }

    [Fact]
    public void Status_files_are_written_whole_with_the_documented_fields()
    {
        _publisher.WriteStatus(new BundleStatus("lib", BundleStatus.Failed, null, false, "Extension.BundleNotFound", "bundle lib: gone"));

        var text = File.ReadAllText(_publisher.StatusPath("lib"));
        foreach (var field in new[] { "\"name\": \"lib\"", "\"status\": \"failed\"", "\"path\": null", "\"reused\": false", "\"errorType\": \"Extension.BundleNotFound\"", "\"errorMessage\": \"bundle lib: gone\"" })
        {
            Assert.Contains(field, text, StringComparison.Ordinal);
        }

        Assert.Single(Directory.EnumerateFiles(Path.Join(_publisher.Root, CacheLayout.StatusFolderName)));
    }

    private string Publish(string name, string marker, char shaChar)
    {
        var staging = _publisher.CreateAttempt(name);
        File.WriteAllText(Path.Join(staging, "marker"), marker);
        var manifest = new BundleManifest(name, "file:///x", marker, new string(shaChar, 64), "zip", 1, 0, 0, marker.Length, 0, 0, DateTimeOffset.UnixEpoch);
        return _publisher.Publish(name, staging, manifest);
    }
}
