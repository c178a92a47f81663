using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using ZstdSharp;

namespace ExtensionCache.Tests.Fixtures;

/// <summary>Builds real zip, tar.gz and tar.zst archives with the BCL writers (plus ZstdSharp), keeping unix modes and symlinks.</summary>
public static class ArchiveBuilder
{
    private const int UnixHost = 3;

    public static byte[] Zip(IEnumerable<ArchiveEntry> entries, CompressionLevel level = CompressionLevel.Fastest, bool streamed = false)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(streamed ? new ForwardOnlyWriteStream(buffer) : buffer, ZipArchiveMode.Create, leaveOpen: true, Encoding.UTF8))
        {
            foreach (var entry in entries)
            {
                var zipEntry = zip.CreateEntry(entry.Name, level);
                var type = entry.LinkTarget is not null ? 0xA000 : entry.IsDirectory ? 0x4000 : 0x8000;
                zipEntry.ExternalAttributes = (type | entry.Mode) << 16;
                if (entry.Modified is { } modified)
                {
                    zipEntry.LastWriteTime = modified;
                }

                if (entry.LinkTarget is not null || entry.Content is not null)
                {
                    using var stream = zipEntry.Open();
                    stream.Write(entry.LinkTarget is { } target ? Encoding.UTF8.GetBytes(target) : entry.Content!);
                }
            }
        }

        var bytes = buffer.ToArray();
        MarkMadeByUnix(bytes);
        return bytes;
    }

    public static byte[] TarGz(IEnumerable<ArchiveEntry> entries)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            WriteTar(gzip, entries);
        }

        return buffer.ToArray();
    }

    /// <summary>A tar.gz written entry by entry, for entry types the simple builder does not make.</summary>
    public static byte[] TarGz(Action<TarWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            WriteTar(gzip, [], write);
        }

        return buffer.ToArray();
    }

    /// <param name="checksum">Write the frame's content checksum, as the zstd command line does by default.</param>
    public static byte[] TarZst(IEnumerable<ArchiveEntry> entries, bool checksum = true)
    {
        using var buffer = new MemoryStream();
        using (var zstd = new CompressionStream(buffer, level: 3, leaveOpen: true))
        {
            zstd.SetParameter(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_checksumFlag, checksum ? 1 : 0);
            WriteTar(zstd, entries);
        }

        return buffer.ToArray();
    }

    public static void WriteTar(Stream output, IEnumerable<ArchiveEntry> entries, Action<TarWriter>? extra = null)
    {
        using var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        foreach (var entry in entries)
        {
            PaxTarEntry tarEntry;
            if (entry.LinkTarget is { } target)
            {
                tarEntry = new PaxTarEntry(TarEntryType.SymbolicLink, entry.Name) { LinkName = target };
            }
            else if (entry.IsDirectory)
            {
                tarEntry = new PaxTarEntry(TarEntryType.Directory, entry.Name);
            }
            else
            {
                tarEntry = new PaxTarEntry(TarEntryType.RegularFile, entry.Name) { DataStream = new MemoryStream(entry.Content ?? []) };
            }

            tarEntry.Mode = (UnixFileMode)entry.Mode;
            if (entry.Modified is { } modified)
            {
                tarEntry.ModificationTime = modified;
            }

            tar.WriteEntry(tarEntry);
        }

        extra?.Invoke(tar);
    }

    /// <summary>ZipArchive writes "version made by" as the current OS; set the host byte to unix so modes are read.</summary>
    private static void MarkMadeByUnix(byte[] zip)
    {
        foreach (var offset in ZipOffsets.CentralHeaders(zip))
        {
            zip[offset + 5] = UnixHost;
        }
    }
}
