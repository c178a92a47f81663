namespace ExtensionCache.Extension.Sources;

/// <summary>
/// A forward-only stream of a whole archive that an extractor reads and skips through. <see cref="Position"/> is the
/// offset in the archive. A full fetch reads every byte it skips (each is hashed); a delta's stream moves past bytes
/// it never fetched.
/// </summary>
public abstract class ArchiveStream : ReadOnlyStream
{
    /// <summary>Moves forward by <paramref name="count"/> bytes whose content the reader does not need.</summary>
    public abstract ValueTask SkipAsync(long count, CancellationToken ct);

    public override int Read(Span<byte> buffer) => throw new NotSupportedException("archive streams are read asynchronously only");
}
