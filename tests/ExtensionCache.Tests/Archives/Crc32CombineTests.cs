using System.IO.Hashing;
using ExtensionCache.Extension.Archives;

namespace ExtensionCache.Tests.Archives;

/// <summary>Combining the CRC-32 of consecutive pieces gives the CRC-32 of the whole, for any split.</summary>
public sealed class Crc32CombineTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(0, 100)]
    [InlineData(100, 0)]
    [InlineData(1, 1)]
    [InlineData(1000, 3)]
    [InlineData(65536, 1048576)]
    [InlineData(1048577, 4194303)]
    public void The_combined_crc_of_two_pieces_is_the_crc_of_both(int first, int second)
    {
        var data = new byte[first + second];
        new Random(first ^ second).NextBytes(data);

        var combined = Crc32Combine.Combine(Crc32.HashToUInt32(data.AsSpan(0, first)), Crc32.HashToUInt32(data.AsSpan(first)), second);

        Assert.Equal(Crc32.HashToUInt32(data), combined);
    }

    [Fact]
    public void Combining_many_pieces_in_order_gives_the_whole_and_out_of_order_does_not()
    {
        var data = new byte[10_000_000];
        new Random(5).NextBytes(data);
        var cuts = new[] { 0, 1, 4097, 1_000_000, 1_000_001, 7_654_321, data.Length };
        uint crc = 0;
        for (var i = 1; i < cuts.Length; i++)
        {
            crc = Crc32Combine.Combine(crc, Crc32.HashToUInt32(data.AsSpan(cuts[i - 1], cuts[i] - cuts[i - 1])), cuts[i] - cuts[i - 1]);
        }

        Assert.Equal(Crc32.HashToUInt32(data), crc);
        var swapped = Crc32Combine.Combine(Crc32.HashToUInt32(data.AsSpan(1_000_000)), Crc32.HashToUInt32(data.AsSpan(0, 1_000_000)), 1_000_000);
        Assert.NotEqual(Crc32.HashToUInt32(data), swapped);
    }

    [Fact]
    public void A_length_over_4_GiB_is_combined_as_the_math_says()
    {
        // crc(A‖Z) for Z = 2^32 + 5 zero bytes equals combining crc(A) with crc(Z); crc of zeros is computable by combining halves.
        var a = Crc32.HashToUInt32("abc"u8);
        var zeros5 = Crc32.HashToUInt32(new byte[5]);
        var zeros4g = Crc32.HashToUInt32(new byte[1 << 20]);
        for (var i = 0; i < 12; i++)
        {
            zeros4g = Crc32Combine.Combine(zeros4g, zeros4g, (1L << 20) << i);
        }

        var whole = Crc32Combine.Combine(Crc32Combine.Combine(a, zeros4g, 1L << 32), zeros5, 5);
        var direct = Crc32Combine.Combine(a, Crc32Combine.Combine(zeros4g, zeros5, 5), (1L << 32) + 5);

        Assert.Equal(direct, whole);
    }
}
