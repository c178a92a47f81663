using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;
using ExtensionCache.Extension.Archives;
using static ExtensionCache.Extension.Archives.ZipFieldLocations;

namespace ExtensionCache.Cli.Packing;

/// <summary>
/// Writes a deterministic zip: entries in the given (ordinal) order, each with only what the extension reads (UTF-8
/// name flag, unix mode, DOS time plus the extended-timestamp field 0x5455 holding the exact mtime in seconds), no
/// packer name, no other extra field, no comment. Directories carry no time. Entries are compressed independently
/// on every core; the writer takes them in order, so the bytes never depend on scheduling. Hand-written because
/// .NET's ZipArchive writes no unix mode for links, no 0x5455 field, and compresses on one thread.
/// Limits: an archive, and every entry, under 4 GiB (no ZIP64 written): use tar.zst beyond.
/// </summary>
public static class ZipPacker
{
    private const ushort VersionNeeded = 20;
    private const ushort VersionMadeByUnix = (3 << 8) | 20;
    private const ushort Utf8Flag = 0x0800;
    private const ushort MethodStored = 0;
    private const ushort MethodDeflate = 8;
    private const ushort DosEpochDate = (0 << 9) | (1 << 5) | 1;
    private const int ExtendedTimestampBytes = 9;

    public static async Task WriteAsync(IReadOnlyList<TreeEntry> entries, Stream output, CancellationToken ct)
    {
        var window = Environment.ProcessorCount * 4;
        var pending = new Queue<Task<Compressed>>();
        var central = new MemoryStream();
        long offset = 0;
        var next = 0;
        using var gate = new SemaphoreSlim(Environment.ProcessorCount);
        while (next < entries.Count || pending.Count > 0)
        {
            while (next < entries.Count && pending.Count < window)
            {
                var entry = entries[next++];
                pending.Enqueue(Task.Run(
                    async () =>
                    {
                        await gate.WaitAsync(ct).ConfigureAwait(false);
                        try
                        {
                            return Compress(entry);
                        }
                        finally
                        {
                            gate.Release();
                        }
                    },
                    ct));
            }

            var done = await pending.Dequeue().ConfigureAwait(false);
            if (offset + done.Data.Length + 1024 > uint.MaxValue)
            {
                throw new CliException($"the zip would pass 4 GiB at '{done.Name}'; pack this tree as tar.zst (--format tar.zst)");
            }

            var local = Header(done, isCentral: false, offset);
            await output.WriteAsync(local, ct).ConfigureAwait(false);
            await output.WriteAsync(done.Data, ct).ConfigureAwait(false);
            central.Write(Header(done, isCentral: true, offset));
            offset += local.Length + done.Data.Length;
        }

        var directory = central.ToArray();
        await output.WriteAsync(directory, ct).ConfigureAwait(false);
        var end = new byte[EndOfCentralDirectory.Size];
        var count = (ushort)Math.Min(entries.Count, ushort.MaxValue);
        if (entries.Count > ushort.MaxValue)
        {
            throw new CliException($"the tree has {entries.Count} entries, more than a zip without ZIP64 holds ({ushort.MaxValue}); pack it as tar.zst (--format tar.zst)");
        }

        BinaryPrimitives.WriteUInt32LittleEndian(end.AsSpan(EndOfCentralDirectory.Signature), EndOfCentralDirectory.SignatureValue);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(EndOfCentralDirectory.Entries), count);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(EndOfCentralDirectory.Entries - 2), count);
        BinaryPrimitives.WriteUInt32LittleEndian(end.AsSpan(EndOfCentralDirectory.CentralDirectorySize), (uint)directory.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(end.AsSpan(EndOfCentralDirectory.CentralDirectoryOffset), (uint)offset);
        await output.WriteAsync(end, ct).ConfigureAwait(false);
    }

    private static Compressed Compress(TreeEntry entry)
    {
        var name = Encoding.UTF8.GetBytes(entry.Kind == FileKind.Directory ? entry.Path + "/" : entry.Path);
        switch (entry.Kind)
        {
            case FileKind.Directory:
                return new Compressed(entry.Path, name, MethodStored, 0, 0, [], 0x4000 | ((int)entry.Mode & 0x1FF), null);
            case FileKind.Symlink:
                {
                    var target = Encoding.UTF8.GetBytes(entry.LinkTarget!);
                    return new Compressed(entry.Path, name, MethodStored, Crc32.HashToUInt32(target), target.Length, target, 0xA000 | 0x1FF, null);
                }

            default:
                {
                    byte[] content;
                    try
                    {
                        content = entry.Content ?? File.ReadAllBytes(entry.Source);
                    }
                    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                    {
                        throw new CliException($"'{entry.Path}': cannot read it ({ex.Message})", ExitCodes.BadInput, ex);
                    }

                    if (content.LongLength >= uint.MaxValue)
                    {
                        throw new CliException($"'{entry.Path}' is 4 GiB or more, more than a zip without ZIP64 holds; pack this tree as tar.zst (--format tar.zst)");
                    }

                    var crc = Crc32.HashToUInt32(content);
                    var mode = 0x8000 | ((int)entry.Mode & 0x1FF);
                    // A file no larger than the probe is its own probe: deflated once, kept only if it saves 5 %.
                    var small = content.Length <= CompressionChoice.ProbeBytes;
                    if (!CompressionChoice.ShouldStoreByName(entry.Path) && (small || !CompressionChoice.ProbeSaysStore(content)))
                    {
                        var deflated = new MemoryStream(content.Length / 3 + 64);
                        using (var deflate = new DeflateStream(deflated, CompressionLevel.Optimal, leaveOpen: true))
                        {
                            deflate.Write(content);
                        }

                        if (small ? (double)deflated.Length / Math.Max(1, content.Length) <= CompressionChoice.StoreAboveRatio : deflated.Length < content.Length)
                        {
                            return new Compressed(entry.Path, name, MethodDeflate, crc, content.Length, deflated.ToArray(), mode, entry.MtimeSeconds);
                        }
                    }

                    return new Compressed(entry.Path, name, MethodStored, crc, content.Length, content, mode, entry.MtimeSeconds);
                }
        }
    }

    private static byte[] Header(Compressed c, bool isCentral, long offset)
    {
        var extraLength = c.Mtime is null ? 0 : ExtendedTimestampBytes;
        var fixedSize = isCentral ? CentralDirectoryHeader.Size : LocalFileHeader.Size;
        var header = new byte[fixedSize + c.Name.Length + extraLength];
        var h = header.AsSpan();
        var (date, time) = c.Mtime is { } m ? DosTime(m) : (DosEpochDate, (ushort)0);
        if (isCentral)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(h[CentralDirectoryHeader.Signature..], CentralDirectoryHeader.SignatureValue);
            BinaryPrimitives.WriteUInt16LittleEndian(h[CentralDirectoryHeader.VersionMadeBy..], VersionMadeByUnix);
            BinaryPrimitives.WriteUInt16LittleEndian(h[(CentralDirectoryHeader.VersionMadeBy + 2)..], VersionNeeded);
            BinaryPrimitives.WriteUInt16LittleEndian(h[CentralDirectoryHeader.Flags..], Utf8Flag);
            BinaryPrimitives.WriteUInt16LittleEndian(h[CentralDirectoryHeader.Method..], c.Method);
            BinaryPrimitives.WriteUInt16LittleEndian(h[CentralDirectoryHeader.LastModifiedTime..], time);
            BinaryPrimitives.WriteUInt16LittleEndian(h[CentralDirectoryHeader.LastModifiedDate..], date);
            BinaryPrimitives.WriteUInt32LittleEndian(h[CentralDirectoryHeader.Crc32..], c.Crc);
            BinaryPrimitives.WriteUInt32LittleEndian(h[CentralDirectoryHeader.CompressedSize..], (uint)c.Data.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(h[CentralDirectoryHeader.UncompressedSize..], (uint)c.Size);
            BinaryPrimitives.WriteUInt16LittleEndian(h[CentralDirectoryHeader.NameLength..], (ushort)c.Name.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(h[CentralDirectoryHeader.ExtraLength..], (ushort)extraLength);
            BinaryPrimitives.WriteUInt32LittleEndian(h[CentralDirectoryHeader.ExternalAttributes..], (uint)c.Mode << 16);
            BinaryPrimitives.WriteUInt32LittleEndian(h[CentralDirectoryHeader.LocalHeaderOffset..], (uint)offset);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(h[LocalFileHeader.Signature..], LocalFileHeader.SignatureValue);
            BinaryPrimitives.WriteUInt16LittleEndian(h[4..], VersionNeeded);
            BinaryPrimitives.WriteUInt16LittleEndian(h[LocalFileHeader.Flags..], Utf8Flag);
            BinaryPrimitives.WriteUInt16LittleEndian(h[LocalFileHeader.Method..], c.Method);
            BinaryPrimitives.WriteUInt16LittleEndian(h[10..], time);
            BinaryPrimitives.WriteUInt16LittleEndian(h[12..], date);
            BinaryPrimitives.WriteUInt32LittleEndian(h[LocalFileHeader.Crc32..], c.Crc);
            BinaryPrimitives.WriteUInt32LittleEndian(h[LocalFileHeader.CompressedSize..], (uint)c.Data.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(h[LocalFileHeader.UncompressedSize..], (uint)c.Size);
            BinaryPrimitives.WriteUInt16LittleEndian(h[LocalFileHeader.NameLength..], (ushort)c.Name.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(h[LocalFileHeader.ExtraLength..], (ushort)extraLength);
        }

        c.Name.CopyTo(h[fixedSize..]);
        if (c.Mtime is { } seconds)
        {
            var extra = h[(fixedSize + c.Name.Length)..];
            BinaryPrimitives.WriteUInt16LittleEndian(extra, ExtraField.ExtendedTimestampId);
            BinaryPrimitives.WriteUInt16LittleEndian(extra[2..], 5);
            extra[4] = ExtraField.ExtendedTimestampHasModified;
            BinaryPrimitives.WriteInt32LittleEndian(extra[5..], (int)Math.Clamp(seconds, int.MinValue, int.MaxValue));
        }

        return header;
    }

    /// <summary>The DOS date and time of a unix time read as UTC (as the extension reads it back), clamped to 1980–2107.</summary>
    private static (ushort Date, ushort Time) DosTime(long seconds)
    {
        var t = DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(seconds, 315532800L, 4354819198L)).UtcDateTime;
        return ((ushort)(((t.Year - 1980) << 9) | (t.Month << 5) | t.Day), (ushort)((t.Hour << 11) | (t.Minute << 5) | (t.Second / 2)));
    }

    private sealed record Compressed(string Path, byte[] Name, ushort Method, uint Crc, long Size, byte[] Data, int Mode, long? Mtime);
}
