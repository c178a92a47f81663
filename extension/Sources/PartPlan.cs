namespace ExtensionCache.Extension.Sources;

/// <summary>
/// Where each ranged part of a download starts and ends. With a configured part size every part has that size.
/// Automatic (part size 0): the first part is small so unpacking starts early, the next ones are
/// <see cref="MediumPart"/>, and past <see cref="LargeFrom"/> bytes <see cref="LargePart"/> (AWS's guidance for
/// large objects is 8-16 MB ranged GETs: fewer requests per object), never more than
/// <see cref="InFlightBudget"/> over all parts in flight. The object's tail that the probe already fetched is
/// not requested again: the parts end where it starts. A last part shorter than <see cref="MinimumPart"/> joins
/// the one before it.
/// </summary>
public sealed class PartPlan
{
    public const int Automatic = 0;
    public const int FirstPart = 4 * 1024 * 1024;
    public const int MediumPart = 8 * 1024 * 1024;
    public const int LargePart = 16 * 1024 * 1024;
    public const long LargeFrom = 128L * 1024 * 1024;
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
        var cap = (int)Math.Max(FirstPart, Math.Min(LargePart, InFlightBudget / concurrency));
        long offset = 0;
        while (offset < RangedEnd)
        {
            long size = partSize != Automatic
                ? partSize
                : _offsets.Count == 0 ? FirstPart : Math.Min(cap, offset >= LargeFrom ? LargePart : MediumPart);
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

    public long Offset(int index) => _offsets[index];

    public int Length(int index) => _lengths[index];
}
