using System.Net.Sockets;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Sources;
using ExtensionCache.Tests.Fixtures;

namespace ExtensionCache.Tests.Sources;

/// <summary>
/// After a restore from a snapshot, a connection pooled before it may look alive to the socket while nothing answers on
/// it any more (the peer and the network forgot it). A relay in front of a real HTTP server plays that: at the
/// "restore" it stops carrying bytes on every connection opened before. <see cref="BundleSourceFactory.Reset"/> must
/// leave no request to such a connection.
/// </summary>
public sealed class ConnectionResetTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task After_a_reset_requests_open_new_connections_and_none_waits_on_one_pooled_before_the_restore()
    {
        var archive = ArchiveBuilder.Zip([ArchiveEntry.File("a.txt", "hello")]);
        using var server = new LoopbackHttpServer(archive);
        await using var relay = new SnapshotRelay(server.BaseUri.Port);
        using var factory = new BundleSourceFactory(_ => null);
        var bundle = CacheHarness.Spec("deps", new Uri($"http://127.0.0.1:{relay.Port}/deps.zip"), BundleFormat.Zip);

        // Before the snapshot: two probes share one pooled connection (what a reset must undo).
        using var before = new CancellationTokenSource(Generous);
        await factory.Create(bundle).ProbeAsync(before.Token);
        await factory.Create(bundle).ProbeAsync(before.Token);
        Assert.Equal(1, relay.Connections);

        relay.Restore();
        factory.Reset();

        // A probe that went to the pooled connection would wait for the whole guard; after the reset it is answered.
        using var after = new CancellationTokenSource(Generous);
        var info = await factory.Create(bundle).ProbeAsync(after.Token);
        Assert.Equal(archive.Length, info.Length);
        Assert.Equal(2, relay.Connections);
        Assert.Equal(1, factory.Resets);
    }

    [Fact]
    public async Task A_source_made_before_a_reset_fails_fast_instead_of_using_the_dropped_pool()
    {
        var archive = ArchiveBuilder.Zip([ArchiveEntry.File("a.txt", "hello")]);
        using var server = new LoopbackHttpServer(archive);
        using var factory = new BundleSourceFactory(_ => null);
        var old = factory.Create(CacheHarness.Spec("deps", new Uri(server.BaseUri, "deps.zip"), BundleFormat.Zip));

        factory.Reset();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => old.ProbeAsync(CancellationToken.None));
    }

    /// <summary>Relays bytes until <see cref="Restore"/>; from then on connections opened before carry nothing, as after a restore.</summary>
    private sealed class SnapshotRelay : TcpRelay
    {
        private int _epoch;
        private int _connections;

        public SnapshotRelay(int upstreamPort)
            : base("127.0.0.1", upstreamPort)
        {
            Start();
        }

        public int Connections => Volatile.Read(ref _connections);

        public void Restore() => Interlocked.Increment(ref _epoch);

        protected override (Task Up, Task Down) Pump(NetworkStream client, NetworkStream server)
        {
            var epoch = Volatile.Read(ref _epoch);
            Interlocked.Increment(ref _connections);
            async Task Gate(int bytes)
            {
                if (Volatile.Read(ref _epoch) != epoch)
                {
                    await Task.Delay(Timeout.Infinite, Stopping);
                }
            }

            return (CopyAsync(client, server, 16 * 1024, Gate), CopyAsync(server, client, 16 * 1024, Gate));
        }
    }
}
