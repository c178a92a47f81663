extern alias client;

using ExtensionCache.Contract;
using ExtensionCache.Extension.Publishing;
using Microsoft.Extensions.Time.Testing;
using ClientApi = client::ExtensionCache.Client;
using ClientPaths = client::ExtensionCache.Client.Paths;
using ClientVersions = client::ExtensionCache.Client.Versions;

namespace ExtensionCache.Tests.Publishing;

/// <summary>The client notices what the extension's <see cref="Publisher"/> swaps in, through a real root.</summary>
public sealed class ClientVersionTests : IDisposable
{
    private readonly TempDirectory temp = new();
    private readonly Publisher publisher;
    private readonly FakeTimeProvider time = new();
    private readonly ClientApi.ExtensionCacheClient client;

    public ClientVersionTests()
    {
        var root = temp.Combine("cache");
        publisher = new Publisher(root);
        publisher.CleanRoot(["deps"]);
        client = new ClientApi.ExtensionCacheClient(new ClientPaths.BundleLocator(root), time);
    }

    private void Publish(string version, char sha)
    {
        var staging = publisher.CreateAttempt("deps");
        File.WriteAllText(Path.Join(staging, "data.txt"), version);
        publisher.Publish("deps", staging, new BundleManifest("deps", "s3://b/deps.zip", version, new string(sha, 64), "zip", 1, 0, 0, 1, 0, 0, DateTimeOffset.UnixEpoch));
    }

    [Fact]
    public void A_swapped_version_is_noticed_and_its_folder_holds_that_version()
    {
        Assert.Null(client.GetVersion("deps"));
        Publish("v1", 'a');
        var v1 = client.GetVersion("deps")!;
        Assert.Equal("v1", v1.Version);
        Assert.Equal("v1", File.ReadAllText(Path.Join(v1.Path, "data.txt")));
        Assert.False(client.HasChanged("deps", v1));

        Publish("v2", 'b');
        Assert.True(client.HasChanged("deps", v1));
        var v2 = client.GetVersion("deps")!;
        Assert.NotEqual(v1.Token, v2.Token);
        Assert.Equal("v2", File.ReadAllText(Path.Join(v2.Path, "data.txt")));

        // The old folder is still one complete version for code that resolved it before the swap.
        Assert.Equal("v1", File.ReadAllText(Path.Join(v1.Path, "data.txt")));
    }

    [Fact]
    public void WatchVersion_calls_back_once_per_new_version_and_not_for_the_first()
    {
        Publish("v1", 'a');
        var seen = new List<string>();
        using var watch = client.WatchVersion("deps", v => seen.Add(v.Version), TimeSpan.FromSeconds(5));

        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Empty(seen);

        Publish("v2", 'b');
        time.Advance(TimeSpan.FromSeconds(5));
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(["v2"], seen);
    }

    public void Dispose() => temp.Dispose();
}
