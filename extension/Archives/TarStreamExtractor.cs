using System.IO.Compression;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Extension.Sources;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace ExtensionCache.Extension.Archives;

/// <summary>
/// Extracts tar.gz and tar.zst bundles while they stream in: regular and sparse files (expanded), directories and
/// symlinks that stay inside the bundle. Hard links, devices and fifos are refused by name. Headers are read by
/// <see cref="TarHeaderReader"/> (which says why it is not .NET's TarReader). Small files are written by the workers
/// of an <see cref="EntryWriterPool"/> while the reader decompresses on. A tar.zst must carry zstd's content
/// checksum in every frame unless the bundle is pinned by sha256, and fit zstd's window limit (<see cref="ZstdFrameInspector"/>).
/// A tar has no index, so nothing of it can be reused without reading it whole: it never has a reuse plan.
/// </summary>
public sealed class TarStreamExtractor(BundleFormat format, bool requireZstdChecksum, ReadOnlyMemory<byte> knownTail = default) : IArchiveExtractor
{
    public ReadOnlyMemory<byte> KnownTail => knownTail;

    public ReusePlan? PlanReuse(IReadOnlyList<ExistingTree> trees, int workers) => null;

    public Task ExtractAsync(ArchiveStream archive, ReusePlan? plan, ExtractionTarget target, int workers, CancellationToken ct)
    {
        if (plan is not null)
        {
            throw new ArgumentException("a tar is always read whole: it has no reuse plan", nameof(plan));
        }

        return EntryWriterPool.ExtractAsync(target, workers, pool => ExtractEntriesAsync(archive, target, pool, ct), ct);
    }

    private async Task ExtractEntriesAsync(Stream archive, ExtractionTarget target, EntryWriterPool pool, CancellationToken ct)
    {
        var zstd = format == BundleFormat.TarZst ? new DecompressionStream(new ZstdFrameInspector(archive, requireZstdChecksum), leaveOpen: true) : null;
        zstd?.SetParameter(ZSTD_dParameter.ZSTD_d_windowLogMax, ZstdFrameInspector.MaxWindowLog);
        await using var decompressed = format switch
        {
            BundleFormat.TarGz => (Stream)new GZipStream(archive, CompressionMode.Decompress, leaveOpen: true),
            BundleFormat.TarZst => zstd!,
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "not a tar format"),
        };
        var reader = new TarHeaderReader(decompressed);
        string? name = null;
        var inData = false;
        try
        {
            while (await reader.NextAsync(ct).ConfigureAwait(false) is { } entry)
            {
                name = entry.Name;
                inData = true;
                await ExtractEntryAsync(entry, reader.Data, target, pool, ct).ConfigureAwait(false);
                inData = false;
            }

            // The gzip CRC and the zstd checksum sit after the tar end marker: read to the end so they are checked.
            await decompressed.CopyToAsync(Stream.Null, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (CorruptArchive.IsDecoderError(ex))
        {
            var where = name is null ? "in its first header" : $"{(inData ? "at" : "after")} entry '{EntryPathPolicy.Display(name)}'";
            throw CorruptArchive.At(where, ex.Message, ex);
        }
    }

    private static async Task ExtractEntryAsync(TarHeader entry, Stream data, ExtractionTarget target, EntryWriterPool pool, CancellationToken ct)
    {
        switch (entry.Kind)
        {
            case TarEntryKind.File:
                {
                    var path = EntryPathPolicy.Normalize(entry.Name);
                    var content = entry.Sparse is { } map ? new SparseFileStream(data, map, entry.Size) : data;
                    if (EntryWriterPool.Fits(entry.Size))
                    {
                        target.ClaimFile(entry.Name, path);
                        var buffer = pool.Rent((int)entry.Size);
                        await content.ReadExactlyAsync(buffer.AsMemory(0, (int)entry.Size), ct).ConfigureAwait(false);
                        await pool.WriteAsync(new EntryWrite(entry.Name, path, buffer, (int)entry.Size, EntryCodec.Stored, entry.Size, null, entry.Mode, entry.Modified))
                            .ConfigureAwait(false);
                        break;
                    }

                    var (written, _) = await target.WriteFileAsync(entry.Name, path, content, entry.Size, entry.Mode, entry.Modified, ct)
                        .ConfigureAwait(false);
                    EntryWriterPool.Verify(entry.Name, written, 0, entry.Size, null);
                    break;
                }

            case TarEntryKind.Directory:
                target.CreateDirectory(entry.Name, EntryPathPolicy.Normalize(entry.Name), entry.Mode);
                break;
            case TarEntryKind.Symlink:
                target.CreateSymlink(entry.Name, EntryPathPolicy.Normalize(entry.Name), entry.LinkName);
                break;
            case TarEntryKind.HardLink:
                throw EntryPathPolicy.Refuse(entry.Name, $"hard links are not allowed (link to '{EntryPathPolicy.Display(entry.LinkName)}')");
            case TarEntryKind.Device:
                throw EntryPathPolicy.Refuse(entry.Name, "device entries are not allowed");
            case TarEntryKind.Fifo:
                throw EntryPathPolicy.Refuse(entry.Name, "fifo entries are not allowed");
            default:
                throw EntryPathPolicy.Refuse(entry.Name, $"tar entry kind {entry.Kind} is not supported");
        }
    }
}
