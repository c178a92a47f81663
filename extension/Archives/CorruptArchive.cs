using ExtensionCache.Extension.Failures;
using ZstdSharp;

namespace ExtensionCache.Extension.Archives;

/// <summary>
/// The one failure for an archive whose bytes are wrong, zip or tar: truncated, a damaged header or directory, data a
/// decoder rejects, a size, CRC-32 or checksum that does not match. It is a <see cref="BundleException"/> of kind
/// <see cref="FailureKind.BundleIntegrity"/> naming the entry (or the place in the archive): the archive's fault, so
/// no later attempt is expected to get past it. The decoders' own exceptions become it where an entry is read.
/// </summary>
public static class CorruptArchive
{
    /// <summary>The entry <paramref name="entry"/> cannot be read as its headers describe it.</summary>
    public static BundleException Entry(string entry, string cause, Exception? inner = null) =>
        new(FailureKind.BundleIntegrity, $"entry '{EntryPathPolicy.Display(entry)}' is corrupt: {cause}", inner);

    /// <summary>The archive as a whole is damaged at <paramref name="where"/> (not at one entry's data).</summary>
    public static BundleException At(string where, string cause, Exception? inner = null) =>
        new(FailureKind.BundleIntegrity, $"the archive is corrupt or truncated {where}: {cause}", inner);

    /// <summary>The archive's structure is damaged (a zip's directory or end records).</summary>
    public static BundleException Structure(string cause) => new(FailureKind.BundleIntegrity, cause);

    /// <summary>What a decoder (deflate, gzip, zstd) or a short stream throws for data that is not what it should be.</summary>
    public static bool IsDecoderError(Exception ex) => ex is InvalidDataException or FormatException or ZstdException or EndOfStreamException;
}
