using ExtensionCache.Extension.Sources;

namespace ExtensionCache.Tests.Sources;

public sealed class PartPlanTests
{
    private const int MiB = 1024 * 1024;

    [Theory]
    [InlineData(3, 1)]    // small: 4 MiB parts
    [InlineData(8, 2)]
    [InlineData(16, 2)]   // 8 MiB parts from here
    [InlineData(30, 4)]
    [InlineData(500, 40)] // 4 + 16 × 8 (to 132 MiB), then 23 × 16 MiB: 40 GETs where 4 MiB parts took 125
    public void Automatic_parts_grow_with_the_object(int megabytes, int parts)
    {
        var plan = new PartPlan((long)megabytes * MiB, PartPlan.Automatic, concurrency: 4, tailBytes: 0);

        Assert.Equal(parts, plan.Count);
        AssertContiguous(plan, (long)megabytes * MiB);
    }

    [Fact]
    public void Automatic_parts_are_8_MiB_then_16_MiB_and_a_large_object_starts_with_a_small_one()
    {
        var plan = new PartPlan(300L * MiB, PartPlan.Automatic, concurrency: 4, tailBytes: 0);

        Assert.Equal(4 * MiB, plan.Length(0));
        Assert.Equal(8 * MiB, plan.Length(1));
        Assert.InRange(plan.Offset(Enumerable.Range(0, plan.Count).First(i => plan.Length(i) == 16 * MiB)), PartPlan.LargeFrom, PartPlan.LargeFrom + (8 * MiB));
        Assert.True(plan.MaxPartLength <= 16 * MiB);
    }

    [Fact]
    public void Many_requests_in_flight_get_smaller_parts_so_memory_stays_within_the_budget()
    {
        var plan = new PartPlan(300L * MiB, PartPlan.Automatic, concurrency: 12, tailBytes: 0);

        Assert.True((long)plan.MaxPartLength * 12 <= PartPlan.InFlightBudget + MiB, $"{plan.MaxPartLength} × 12 in flight");
    }

    [Fact]
    public void The_probed_tail_is_left_out_and_a_configured_size_is_kept_exactly()
    {
        var plan = new PartPlan(10 * MiB, 3 * MiB, concurrency: 4, tailBytes: 65_536);

        Assert.Equal(10 * MiB - 65_536, plan.RangedEnd);
        Assert.Equal([3 * MiB, 3 * MiB, 3 * MiB, MiB - 65_536], Enumerable.Range(0, plan.Count).Select(plan.Length));
        AssertContiguous(plan, plan.RangedEnd);
    }

    [Fact]
    public void An_automatic_last_part_under_1_MiB_joins_the_one_before()
    {
        var plan = new PartPlan((16 * MiB) + 100_000, PartPlan.Automatic, concurrency: 4, tailBytes: 0);

        Assert.Equal([8 * MiB, (8 * MiB) + 100_000], Enumerable.Range(0, plan.Count).Select(plan.Length));
    }

    [Fact]
    public void An_object_no_longer_than_its_tail_needs_no_part()
    {
        var plan = new PartPlan(40_000, PartPlan.Automatic, concurrency: 4, tailBytes: 40_000);

        Assert.Equal(0, plan.Count);
        Assert.Equal(40_000, plan.TailBytes);
    }

    private static void AssertContiguous(PartPlan plan, long end)
    {
        long next = 0;
        for (var i = 0; i < plan.Count; i++)
        {
            Assert.Equal(next, plan.Offset(i));
            next += plan.Length(i);
        }

        Assert.Equal(end, next);
    }
}
