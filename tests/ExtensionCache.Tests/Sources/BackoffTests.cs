using ExtensionCache.Extension.Sources;

namespace ExtensionCache.Tests.Sources;

public sealed class BackoffTests
{
    [Fact]
    public void The_ceiling_doubles_from_the_base_up_to_the_cap()
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(3), new Random(1));

        Assert.Equal(
            [200, 400, 800, 1600, 3000, 3000],
            Enumerable.Range(1, 6).Select(n => backoff.Ceiling(n).TotalMilliseconds));
        Assert.Equal(TimeSpan.FromSeconds(3), backoff.Ceiling(1000));
    }

    [Fact]
    public void Full_jitter_spreads_waits_over_the_whole_interval_from_zero()
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(3), new Random(7));

        var waits = Enumerable.Range(0, 2000).Select(_ => backoff.Delay(5).TotalMilliseconds).ToList();

        Assert.All(waits, w => Assert.InRange(w, 0, 3000));
        Assert.True(waits.Min() < 300, $"smallest wait {waits.Min()} ms: not full jitter");
        Assert.True(waits.Max() > 2700, $"largest wait {waits.Max()} ms: not up to the ceiling");
        Assert.InRange(waits.Average(), 1300, 1700);
    }

    [Fact]
    public void Half_jitter_never_waits_less_than_half_the_ceiling()
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2), new Random(3), floor: 0.5);

        var waits = Enumerable.Range(0, 1000).Select(_ => backoff.Delay(3).TotalMilliseconds).ToList();

        Assert.All(waits, w => Assert.InRange(w, 200, 400));
    }
}
