using ExtensionCache.Extension.Sources;

namespace ExtensionCache.Tests.Sources;

public sealed class PartPlanTests
{
    private const int MiB = 1024 * 1024;

    [Theory]
    [InlineData(3, 1)]     // small: 4 MiB parts
    [InlineData(8, 2)]
    [InlineData(16, 4)]
    [InlineData(64, 16)]   // up to 4 parts per request in flight: still 4 MiB, exactly the fixed 4 MiB plan
    [InlineData(128, 18)]  // a first wave of 4 × 4 MiB, then 8 MiB: 4 parts per request in flight
    [InlineData(500, 35)]  // a first wave of 4 × 4 MiB, then 16 MiB: 35 GETs where 4 MiB parts took 125
    public void Automatic_parts_grow_with_the_object_once_it_fills_four_parts_per_request_in_flight(int megabytes, int parts)
    {
        var plan = new PartPlan((long)megabytes * MiB, PartPlan.Automatic, concurrency: 4, tailBytes: 0);

        Assert.Equal(parts, plan.Count);
        AssertContiguous(plan, (long)megabytes * MiB);
    }

    [Fact]
    public void A_large_object_starts_with_one_small_part_per_request_in_flight_then_parts_of_up_to_16_MiB()
    {
        var plan = new PartPlan(300L * MiB, PartPlan.Automatic, concurrency: 4, tailBytes: 0);

        Assert.Equal([4 * MiB, 4 * MiB, 4 * MiB, 4 * MiB, 16 * MiB], Enumerable.Range(0, 5).Select(plan.Length));
        Assert.Equal(16 * MiB, plan.MaxPartLength);
    }

    [Fact]
    public void A_medium_object_gets_parts_sized_to_keep_every_request_slot_busy()
    {
        var plan = new PartPlan(112L * MiB, PartPlan.Automatic, concurrency: 4, tailBytes: 0);

        // 112 MiB over 4 × 4 parts: 7 MiB each after the first wave of 4 MiB parts.
        Assert.Equal([4 * MiB, 4 * MiB, 4 * MiB, 4 * MiB, 7 * MiB], Enumerable.Range(0, 5).Select(plan.Length));
        Assert.True(plan.Count >= 16, $"{plan.Count} parts");
    }

    [Fact]
    public void A_mid_size_object_is_read_exactly_as_with_fixed_4_MiB_parts()
    {
        // The 57 MB zip of the part-size benchmark at 2 vCPU: 4 requests in flight.
        var automatic = new PartPlan(57L * 1000 * 1000, PartPlan.Automatic, concurrency: 4, tailBytes: 65_536);
        var fixedParts = new PartPlan(57L * 1000 * 1000, 4 * MiB, concurrency: 4, tailBytes: 65_536);

        Assert.Equal(Enumerable.Range(0, fixedParts.Count).Select(fixedParts.Length), Enumerable.Range(0, automatic.Count).Select(automatic.Length));
        AssertContiguous(automatic, automatic.RangedEnd);
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

        Assert.Equal([4 * MiB, 4 * MiB, 4 * MiB, (4 * MiB) + 100_000], Enumerable.Range(0, plan.Count).Select(plan.Length));
    }

    [Fact]
    public void An_object_no_longer_than_its_tail_needs_no_part()
    {
        var plan = new PartPlan(40_000, PartPlan.Automatic, concurrency: 4, tailBytes: 40_000);

        Assert.Equal(0, plan.Count);
        Assert.Equal(40_000, plan.TailBytes);
    }

    [Theory]
    [InlineData(8L * MiB, 0, 4, 4L * MiB)]
    [InlineData(24L * MiB, 0, 4, 4L * MiB)]
    [InlineData(64L * MiB, 0, 4, 4L * MiB)]
    [InlineData(128L * MiB, 0, 4, 8L * MiB)]
    [InlineData(300L * MiB, 0, 4, 16L * MiB)]
    [InlineData(300L * MiB, 0, 12, 64L * MiB / 12)]
    [InlineData(300L * MiB, 2 * MiB, 4, 2L * MiB)]
    public void A_deltas_pieces_follow_the_same_rule_as_a_whole_objects_parts(long bytes, int partSize, int concurrency, long expected)
    {
        // A resume of 24 MiB at 4 in flight gets 4 MiB pieces, so every request in flight carries some of it.
        Assert.Equal(expected, PartPlan.PieceSize(bytes, partSize, concurrency));
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
