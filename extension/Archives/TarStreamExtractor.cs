using System.Formats.Tar;
using System.IO.Compression;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Failures;
using ZstdSharp;

namespace ExtensionCache.Extension.Archives;

/// <summary>
/// Extracts tar.gz and tar.zst bundles while they stream in: regular files, directories and symlinks that stay
/// inside the bundle. Hard links, devices and fifos are refused by name. Small files are written by the workers
/// of an <see cref="EntryWriterPool"/> while the reader decompresses on. A tar.zst must carry zstd's content
/// checksum unless the bundle is pinned by sha256 (<see cref="ZstdChecksumRequirement"/>).
/// </summary>
public sealed class TarStreamExtractor(BundleFormat format, bool requireZstdChecksum) : IArchiveExtractor
{
    public Task ExtractAsync(Stream archive, ExtractionTarget target, int workers, CancellationToken ct) =>
        EntryWriterPool.ExtractAsync(target, workers, pool => ExtractEntriesAsync(archive, target, pool, ct), ct);

    private async Task ExtractEntriesAsync(Stream archive, ExtractionTarget target, EntryWriterPool pool, CancellationToken ct)
    {
        await using var decompressed = format switch
        {
            BundleFormat.TarGz => (Stream)new GZipStream(archive, CompressionMode.Decompress, leaveOpen: true),
            BundleFormat.TarZst => new DecompressionStream(requireZstdChecksum ? new ZstdChecksumRequirement(archive) : archive, leaveOpen: true),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "not a tar format"),
        };
        await using var reader = new TarReader(decompressed, leaveOpen: true);
        var name = "(start of archive)";
        try
        {
            while (await reader.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false) is { } entry)
            {
                name = entry.Name;
                await ExtractEntryAsync(entry, target, pool, ct).ConfigureAwait(false);
            }

            // The gzip CRC and the zstd checksum sit after the tar end marker: read to the end so they are checked.
            name = "(end of archive)";
            await decompressed.CopyToAsync(Stream.Null, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or ZstdException or EndOfStreamException)
        {
            throw new BundleException(
                FailureKind.BundleIntegrity,
                $"the archive is corrupt or truncated at entry '{EntryPathPolicy.Display(name)}': {ex.Message}",
                ex);
        }
    }

    private static async Task ExtractEntryAsync(TarEntry entry, ExtractionTarget target, EntryWriterPool pool, CancellationToken ct)
    {
        switch (entry.EntryType)
        {
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                {
                    var path = EntryPathPolicy.Normalize(entry.Name);
                    var content = entry.DataStream ?? Stream.Null;
                    if (EntryWriterPool.Fits(entry.Length))
                    {
                        target.ClaimFile(entry.Name, path);
                        var data = pool.Rent((int)entry.Length);
                        await content.ReadExactlyAsync(data.AsMemory(0, (int)entry.Length), ct).ConfigureAwait(false);
                        await pool.WriteAsync(new EntryWrite(entry.Name, path, data, (int)entry.Length, false, entry.Length, null, entry.Mode, entry.ModificationTime))
                            .ConfigureAwait(false);
                        break;
                    }

                    var (written, _) = await target.WriteFileAsync(entry.Name, path, content, entry.Length, entry.Mode, entry.ModificationTime, ct)
                        .ConfigureAwait(false);
                    EntryWriterPool.Verify(entry.Name, written, 0, entry.Length, null);
                    break;
                }

            case TarEntryType.Directory:
                target.CreateDirectory(entry.Name, EntryPathPolicy.Normalize(entry.Name), entry.Mode);
                break;
            case TarEntryType.SymbolicLink:
                target.CreateSymlink(entry.Name, EntryPathPolicy.Normalize(entry.Name), entry.LinkName);
                break;
            case TarEntryType.GlobalExtendedAttributes:
                break;
            case TarEntryType.HardLink:
                throw EntryPathPolicy.Refuse(entry.Name, $"hard links are not allowed (link to '{EntryPathPolicy.Display(entry.LinkName)}')");
            case TarEntryType.CharacterDevice or TarEntryType.BlockDevice:
                throw EntryPathPolicy.Refuse(entry.Name, "device entries are not allowed");
            case TarEntryType.Fifo:
                throw EntryPathPolicy.Refuse(entry.Name, "fifo entries are not allowed");
            default:
                throw EntryPathPolicy.Refuse(entry.Name, $"tar entry type {entry.EntryType} is not supported");
        }
    }
}
