namespace ExtensionCache.Extension.Archives;

/// <summary>
/// The CRC-32 (zip's, reflected polynomial 0xEDB88320) of two consecutive pieces from the CRC-32 of each and the
/// second's length: crc(A‖B) = crc(A)·x^(8·|B|) mod P ⊕ crc(B), multiplied in GF(2). Lets workers that decode
/// pieces of one entry in parallel each checksum their own piece, and the entry's CRC-32 still be checked exactly.
/// Hand-written because System.IO.Hashing has no combine.
/// </summary>
public static class Crc32Combine
{
    private const uint Polynomial = 0xEDB88320;

    /// <summary>x^0 in the reflected representation: the highest bit is the lowest power.</summary>
    private const uint One = 0x80000000;

    /// <summary>The CRC-32 of <c>A‖B</c> from <paramref name="first"/> = crc(A), <paramref name="second"/> = crc(B) and |B|.</summary>
    public static uint Combine(uint first, uint second, long secondLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(secondLength);
        return Multiply(PowerOfX(8 * secondLength), first) ^ second;
    }

    /// <summary>a·b mod P, both reflected.</summary>
    private static uint Multiply(uint a, uint b)
    {
        uint product = 0;
        for (var bit = One; bit != 0; bit >>= 1)
        {
            if ((a & bit) != 0)
            {
                product ^= b;
            }

            b = (b & 1) != 0 ? (b >> 1) ^ Polynomial : b >> 1;
        }

        return product;
    }

    /// <summary>x^n mod P, by squaring.</summary>
    private static uint PowerOfX(long n)
    {
        var result = One;
        var square = One >> 1; // x^1
        while (n > 0)
        {
            if ((n & 1) != 0)
            {
                result = Multiply(result, square);
            }

            square = Multiply(square, square);
            n >>= 1;
        }

        return result;
    }
}
