namespace ExtensionCache.Extension.Sources;

/// <summary>
/// Where each ranged part of a download starts and ends. With a configured part size every part has that size.
/// Automatic (part size 0): an object up to <see cref="SmallObject"/> is read in <see cref="SmallPart"/> parts. A
/// larger one is split into at least <see cref="PartsPerRequestSlot"/> parts per request in flight, each between
/// <see cref="SmallPart"/> and <see cref="LargePart"/> (AWS's guidance for large objects is 8-16 MB ranged GETs:
/// fewer requests per cold start). Each connection has its own bandwidth, so an object that fills fewer parts than
/// that keeps small parts: fewer, larger parts would leave connections idle and make one environment slower. The
/// first wave (one part per request in flight) is always small: parts are unpacked in order, so the parts the
/// unpacker needs first must arrive first, and the larger ones after them arrive while it works through the first
/// wave (with one small part and larger ones beside it, a mid-size object waited for its second part);
/// all parts in flight together stay within <see cref="InFlightBudget"/>. Four parts per request in flight (rather
/// than two) keep a mid-size object (up to 64 MiB at 4 requests in flight) on exactly the plan of fixed 4 MiB parts,
/// which it did not beat on any link in the benchmark (tests/Benchmarks `methods`). The object's tail that the probe
/// already fetched is not requested again: the parts end where it starts. An automatic last part shorter than
/// <see cref="MinimumPart"/> joins the one before it.
/// </summary>
public sealed class PartPlan
{
    public const int Automatic = 0;
    public const int SmallPart = 4 * 1024 * 1024;
    public const long SmallObject = 8L * 1024 * 1024;
    public const int PartsPerRequestSlot = 4;
    public const int LargePart = 16 * 1024 * 1024;
    public const long InFlightBudget = 64L * 1024 * 1024;
    public const int MinimumPart = 1024 * 1024;

    private readonly List<long> _offsets = [];
    private readonly List<int> _lengths = [];

    public PartPlan(long length, int partSize, int concurrency, int tailBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfNegative(partSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        TailBytes = (int)Math.Clamp(tailBytes, 0, length);
        RangedEnd = length - TailBytes;
        var cap = (int)Math.Max(SmallPart, Math.Min(LargePart, InFlightBudget / concurrency));
        var grown = GrownPart(RangedEnd, concurrency, cap);
        long offset = 0;
        while (offset < RangedEnd)
        {
            long size = partSize != Automatic
                ? partSize
                : AutomaticSize(length, offset, concurrency, grown);
            size = Math.Min(size, RangedEnd - offset);
            if (partSize == Automatic && _lengths.Count > 0 && size < MinimumPart)
            {
                _lengths[^1] += (int)size;
            }
            else
            {
                _offsets.Add(offset);
                _lengths.Add((int)size);
            }

            offset += size;
        }

        MaxPartLength = _lengths.Count == 0 ? 0 : _lengths.Max();
    }

    public int Count => _offsets.Count;

    /// <summary>The ranged parts cover [0, RangedEnd); the rest of the object is the probed tail.</summary>
    public long RangedEnd { get; }

    public int TailBytes { get; }

    public int MaxPartLength { get; }

    private static long AutomaticSize(long length, long offset, int concurrency, long grown)
    {
        if (length <= SmallObject || offset < (long)concurrency * SmallPart)
        {
            return SmallPart;
        }

        return grown;
    }

    /// <summary>The part size that gives <see cref="PartsPerRequestSlot"/> parts per request in flight, whole MiB, within [SmallPart, cap].</summary>
    private static long GrownPart(long ranged, int concurrency, int cap)
    {
        const long MiB = 1024 * 1024;
        var even = (ranged + ((long)concurrency * PartsPerRequestSlot) - 1) / ((long)concurrency * PartsPerRequestSlot);
        return Math.Clamp((even + MiB - 1) / MiB * MiB, SmallPart, cap);
    }

    /// <summary>
    /// The size of the pieces <paramref name="totalBytes"/> spread over several ranges (a delta's) are fetched in: the
    /// configured part size, else the same automatic rule as a whole object's parts, so the requests in flight share
    /// the work (each connection has its own bandwidth) and large fetches make fewer, larger requests.
    /// </summary>
    public static long PieceSize(long totalBytes, int partSize, int concurrency)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        if (partSize != Automatic)
        {
            return partSize;
        }

        var cap = (int)Math.Max(SmallPart, Math.Min(LargePart, InFlightBudget / concurrency));
        return totalBytes <= SmallObject ? SmallPart : GrownPart(totalBytes, concurrency, cap);
    }

    public long Offset(int index) => _offsets[index];

    public int Length(int index) => _lengths[index];
}
