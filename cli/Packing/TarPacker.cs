using System.Formats.Tar;
using System.IO.Compression;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace ExtensionCache.Cli.Packing;

/// <summary>
/// Writes a deterministic GNU tar (.NET's <see cref="TarWriter"/>; entries built by hand, so no owner, atime or
/// ctime from the packing machine; GNU rather than PAX because .NET names PAX headers after the process id; long
/// names as GNU 'L' and 'K' records) compressed as gzip (one thread; .NET's gzip header carries no time) or zstd
/// (every core, level 3, zstd's content checksum in every frame, as the extension requires, and a window well under
/// its 32 MiB limit).
/// </summary>
public static class TarPacker
{
    public const int ZstdLevel = 3;

    public static async Task WriteAsync(IReadOnlyList<TreeEntry> entries, Stream output, bool zstd, CancellationToken ct)
    {
        Stream compressed;
        if (zstd)
        {
            var stream = new CompressionStream(output, ZstdLevel, leaveOpen: true);
            stream.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
            stream.SetParameter(ZSTD_cParameter.ZSTD_c_nbWorkers, Environment.ProcessorCount);
            compressed = stream;
        }
        else
        {
            compressed = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true);
        }

        await using (compressed.ConfigureAwait(false))
        {
            await using var writer = new TarWriter(compressed, TarEntryFormat.Gnu, leaveOpen: true);
            foreach (var entry in entries)
            {
                ct.ThrowIfCancellationRequested();
                await WriteEntryAsync(writer, entry, ct).ConfigureAwait(false);
            }
        }
    }

    private static async Task WriteEntryAsync(TarWriter writer, TreeEntry entry, CancellationToken ct)
    {
        switch (entry.Kind)
        {
            case FileKind.Directory:
                {
                    var tar = new GnuTarEntry(TarEntryType.Directory, entry.Path + "/")
                    {
                        Mode = entry.Mode & (UnixFileMode)0x1FF,
                        ModificationTime = DateTimeOffset.UnixEpoch,
                        AccessTime = DateTimeOffset.UnixEpoch,
                        ChangeTime = DateTimeOffset.UnixEpoch,
                    };
                    await writer.WriteEntryAsync(tar, ct).ConfigureAwait(false);
                    break;
                }

            case FileKind.Symlink:
                {
                    var tar = new GnuTarEntry(TarEntryType.SymbolicLink, entry.Path)
                    {
                        LinkName = entry.LinkTarget!,
                        Mode = (UnixFileMode)0x1FF,
                        ModificationTime = DateTimeOffset.UnixEpoch,
                        AccessTime = DateTimeOffset.UnixEpoch,
                        ChangeTime = DateTimeOffset.UnixEpoch,
                    };
                    await writer.WriteEntryAsync(tar, ct).ConfigureAwait(false);
                    break;
                }

            default:
                {
                    Stream data;
                    try
                    {
                        data = entry.Content is { } bytes ? new MemoryStream(bytes) : File.OpenRead(entry.Source);
                    }
                    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                    {
                        throw new CliException($"'{entry.Path}': cannot read it ({ex.Message})", ExitCodes.BadInput, ex);
                    }

                    await using (data.ConfigureAwait(false))
                    {
                        var tar = new GnuTarEntry(TarEntryType.RegularFile, entry.Path)
                        {
                            Mode = entry.Mode & (UnixFileMode)0x1FF,
                            ModificationTime = DateTimeOffset.FromUnixTimeSeconds(entry.MtimeSeconds),
                            AccessTime = DateTimeOffset.UnixEpoch,
                            ChangeTime = DateTimeOffset.UnixEpoch,
                            DataStream = data,
                        };
                        await writer.WriteEntryAsync(tar, ct).ConfigureAwait(false);
                    }

                    break;
                }
        }
    }
}
