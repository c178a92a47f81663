namespace ExtensionCache.Extension.Archives;

/// <summary>
/// Unpacks one archive format from a forward-only stream of the whole archive into an
/// <see cref="ExtractionTarget"/>. Created by <see cref="ArchiveExtractor.OpenAsync"/>, which runs the format's
/// checks that need no download (a zip's central directory); a tar has none.
/// </summary>
public interface IArchiveExtractor
{
    /// <summary>
    /// Reads the archive up to its last entry, writing small files with <paramref name="workers"/> workers; every
    /// entry is written and verified when this returns. Whatever the reader leaves unread is for the caller.
    /// </summary>
    Task ExtractAsync(Stream archive, ExtractionTarget target, int workers, CancellationToken ct);
}
