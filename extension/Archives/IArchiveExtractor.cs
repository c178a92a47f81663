using ExtensionCache.Extension.Sources;

namespace ExtensionCache.Extension.Archives;

/// <summary>
/// Unpacks one archive format from a forward-only <see cref="ArchiveStream"/> into an <see cref="ExtractionTarget"/>.
/// Created by <see cref="ArchiveExtractor.OpenAsync"/>, which runs the format's checks that need no download (a zip's
/// central directory); a tar has none.
/// </summary>
public interface IArchiveExtractor
{
    /// <summary>
    /// The object's last bytes, already read when the extractor was opened (the probe's tail, or a zip's whole central
    /// directory): a full fetch serves them from memory instead of requesting them again.
    /// </summary>
    ReadOnlyMemory<byte> KnownTail { get; }

    /// <summary>
    /// For a delta update or a resume: which entries <paramref name="trees"/> already hold and which byte ranges of the
    /// archive the others need, searched on <paramref name="workers"/> threads. Null when nothing can be reused, or
    /// when the format has no index to tell (tar).
    /// </summary>
    ReusePlan? PlanReuse(IReadOnlyList<ExistingTree> trees, int workers);

    /// <summary>
    /// Reads the archive up to its last entry, writing small files with <paramref name="workers"/> workers; every
    /// entry is written and verified when this returns. With a <paramref name="plan"/>, <paramref name="archive"/>
    /// holds only the plan's ranges: the entries the plan reuses are linked from disk and skipped over. Whatever the
    /// reader leaves unread is for the caller.
    /// </summary>
    Task ExtractAsync(ArchiveStream archive, ReusePlan? plan, ExtractionTarget target, int workers, CancellationToken ct);
}
