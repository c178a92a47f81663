using System.IO.Compression;
using ExtensionCache.Extension.Archives;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Extension.Sources;
using ZstdSharp;

namespace ExtensionCache.Cli.Inspecting;

/// <summary>
/// <c>inspect</c>: what the extension would do with an archive, decided by the extension's own code. The location is
/// parsed by <see cref="BundleListParser"/> and read through the extension's sources. A zip over s3:// or https://
/// is judged from its central directory alone (<see cref="ZipCentralDirectory"/>, ranged requests); a local archive,
/// and any tar, is also unpacked into a temporary folder by the extension's extractor, the verdict the extension
/// would give at INIT, at the default caps. Every entry's name, kind and method is checked on its own, so all
/// refusals are listed, not just the first.
/// </summary>
public static class Inspector
{
    private const int MaxEntriesToList = CacheOptions.MaxMaxEntries;

    public static async Task<InspectReport> InspectAsync(string target, string? format, CancellationToken ct)
    {
        var spec = ToSpec(target, format);
        using var factory = new BundleSourceFactory();
        var source = factory.Create(spec);
        var retry = new RetryPolicy(TimeProvider.System, maxAttempts: 3);
        SourceInfo info;
        try
        {
            info = await source.ProbeAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is BundleException or TransientSourceException or HttpRequestException or Amazon.Runtime.AmazonClientException)
        {
            throw new CliException($"cannot read {source.DisplayName}: {ex.Message}", spec.Location is FileLocation ? ExitCodes.BadInput : ExitCodes.RemoteFailed, ex);
        }

        var refusals = new List<string>();
        var entries = new List<InspectedEntry>();
        var local = spec.Location is FileLocation;
        if (spec.Format == BundleFormat.Zip)
        {
            await ListZipAsync(source, info, retry, spec.Location is FileLocation, entries, refusals, ct).ConfigureAwait(false);
        }
        else
        {
            await ListTarAsync(source, info, spec, entries, refusals, ct).ConfigureAwait(false);
        }

        var readContent = local || spec.Format != BundleFormat.Zip;
        string? sha = null;
        long unpacked = entries.Sum(e => e.Kind == "file" ? e.Size : 0);
        if (readContent)
        {
            var (verdict, written, hash) = await ExtractAsync(spec, source, info, retry, ct).ConfigureAwait(false);
            if (verdict is not null && !refusals.Contains(verdict))
            {
                refusals.Add(verdict);
            }

            sha = hash;
            unpacked = Math.Max(unpacked, written);
        }
        else
        {
            // What the extension checks before the download: ranges, the directory, declared sizes against the caps.
            try
            {
                await ZipStreamExtractor.OpenAsync(source, info, DefaultCaps(), retry, ct).ConfigureAwait(false);
            }
            catch (BundleException ex)
            {
                var verdict = Describe(ex);
                if (!refusals.Contains(verdict))
                {
                    refusals.Add(verdict);
                }
            }
        }

        return new InspectReport(source.DisplayName, Packing.Packer.ExtensionOf(spec.Format), info.Length, entries, unpacked, refusals, readContent, sha);
    }

    /// <summary>The error line for a refusal: the extension's message and its error type.</summary>
    public static string Describe(BundleException ex) => $"{ex.Message} [{FailureKinds.ErrorType(ex.Kind)}]";

    private static ExtractionCaps DefaultCaps() =>
        new(CacheOptions.DefaultMaxBytes, CacheOptions.DefaultMaxEntries, $"the default unpacked-size cap of {CacheOptions.DefaultMaxBytes} bytes");

    private static BundleSpec ToSpec(string target, string? format)
    {
        string uri;
        if (target.StartsWith("s3://", StringComparison.OrdinalIgnoreCase)
            || target.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
            || target.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            uri = target;
        }
        else
        {
            var full = Path.GetFullPath(target);
            if (Directory.Exists(full))
            {
                throw new CliException($"'{target}' is a folder; inspect takes an archive (pack the folder first, or run pack, which checks the same rules)");
            }

            if (!File.Exists(full))
            {
                throw new CliException($"archive '{target}' does not exist");
            }

            try
            {
                using (File.OpenRead(full))
                {
                }
            }
            catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
            {
                throw new CliException($"cannot read archive '{target}': {ex.Message}", ExitCodes.BadInput, ex);
            }

            uri = new Uri(full).AbsoluteUri;
        }

        if (format is not null)
        {
            uri += (uri.Contains('#', StringComparison.Ordinal) ? "&" : "#") + "format=" + format;
        }

        var errors = new List<string>();
        var specs = BundleListParser.Parse("inspect=" + uri, errors);
        if (errors.Count > 0 || specs.Count != 1)
        {
            throw new CliException(string.Join(Environment.NewLine, errors.Select(e => e.Replace($"{BundleListParser.Variable} entry 'inspect=", "'", StringComparison.Ordinal))));
        }

        return specs[0];
    }

    private static async Task ListZipAsync(IBundleSource source, SourceInfo info, RetryPolicy retry, bool local, List<InspectedEntry> entries, List<string> refusals, CancellationToken ct)
    {
        IReadOnlyList<ZipEntryRecord> records;
        try
        {
            (records, _, _) = await ZipCentralDirectory.ReadAsync(source, info, retry, MaxEntriesToList, ct).ConfigureAwait(false);
        }
        catch (BundleException ex)
        {
            refusals.Add(Describe(ex));
            return;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            var kind = record.IsSymlink ? "symlink" : record.IsDirectory ? "directory" : "file";
            var (frames, seekTable) = local && record.Method == ZipFieldLocations.Methods.Zstd && !record.IsEncrypted
                ? await CountFramesAsync(source, info, record, ct).ConfigureAwait(false)
                : (null, false);
            entries.Add(new InspectedEntry(record.Name, kind, record.UncompressedSize, MethodOf(record.Method), record.CompressedSize, frames, seekTable));
            try
            {
                var path = EntryPathPolicy.Normalize(record.Name);
                if (record.IsEncrypted)
                {
                    throw new BundleException(FailureKind.BundleUnsupported, $"entry '{EntryPathPolicy.Display(record.Name)}' is encrypted, which is not supported");
                }

                if (record.Method is not ZipFieldLocations.Methods.Stored and not ZipFieldLocations.Methods.Deflate and not ZipFieldLocations.Methods.Zstd)
                {
                    throw new BundleException(FailureKind.BundleUnsupported, $"entry '{EntryPathPolicy.Display(record.Name)}' uses compression method {record.Method}{ZipStreamExtractor.MethodName(record.Method)}; only stored (0), deflate (8) and zstd (93) are supported");
                }

                if (kind != "directory" && !seen.Add(path))
                {
                    throw EntryPathPolicy.Refuse(record.Name, "the name appears twice in the archive");
                }
            }
            catch (BundleException ex)
            {
                refusals.Add(Describe(ex));
            }
        }

        CheckCaps(entries, refusals);
    }

    private static string MethodOf(ushort method) => method switch
    {
        ZipFieldLocations.Methods.Stored => "stored",
        ZipFieldLocations.Methods.Deflate => "deflate",
        ZipFieldLocations.Methods.Zstd => "zstd",
        _ => $"method {method}{ZipStreamExtractor.MethodName(method)}",
    };

    /// <summary>
    /// The data frames of a zstd entry in a local archive, and whether a seek table follows them: its bytes walked
    /// (headers only, no decoding). Null when they cannot be walked; the extraction reports why.
    /// </summary>
    private static async Task<(int? Frames, bool SeekTable)> CountFramesAsync(IBundleSource source, SourceInfo info, ZipEntryRecord record, CancellationToken ct)
    {
        try
        {
            var header = new byte[ZipFieldLocations.LocalFileHeader.Size];
            await using (var head = await source.OpenRangeAsync(info, record.LocalHeaderOffset, header.Length, ct).ConfigureAwait(false))
            {
                await head.ReadExactlyAsync(header, ct).ConfigureAwait(false);
            }

            var dataOffset = record.LocalHeaderOffset + header.Length
                + System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(ZipFieldLocations.LocalFileHeader.NameLength))
                + System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(ZipFieldLocations.LocalFileHeader.ExtraLength));
            var data = await source.OpenRangeAsync(info, dataOffset, record.CompressedSize, ct).ConfigureAwait(false);
            await using var frames = new ZstdFrameInspector(data, requireChecksum: false, $"entry '{EntryPathPolicy.Display(record.Name)}'", checkSeekTable: true);
            await frames.CopyToAsync(Stream.Null, ct).ConfigureAwait(false);
            await data.DisposeAsync().ConfigureAwait(false);
            return (frames.DataFrames, frames.SawSeekTable);
        }
        catch (Exception ex) when (ex is BundleException or IOException)
        {
            return (null, false);
        }
    }

    private static async Task ListTarAsync(IBundleSource source, SourceInfo info, BundleSpec spec, List<InspectedEntry> entries, List<string> refusals, CancellationToken ct)
    {
        var archive = await source.OpenRangeAsync(info, 0, info.Length, ct).ConfigureAwait(false);
        await using (archive.ConfigureAwait(false))
        {
            Stream decompressed = spec.Format == BundleFormat.TarGz
                ? new GZipStream(archive, CompressionMode.Decompress, leaveOpen: true)
                : new DecompressionStream(archive, leaveOpen: true);
            await using (decompressed.ConfigureAwait(false))
            {
                var reader = new TarHeaderReader(decompressed);
                try
                {
                    while (await reader.NextAsync(ct).ConfigureAwait(false) is { } header)
                    {
                        entries.Add(new InspectedEntry(header.Name, header.Kind.ToString().ToLowerInvariant(), header.Size));
                        try
                        {
                            var path = EntryPathPolicy.Normalize(header.Name);
                            switch (header.Kind)
                            {
                                case TarEntryKind.Symlink:
                                    EntryPathPolicy.CheckLinkTarget(header.Name, path, header.LinkName);
                                    break;
                                case TarEntryKind.HardLink:
                                    throw EntryPathPolicy.Refuse(header.Name, $"hard links are not allowed (link to '{EntryPathPolicy.Display(header.LinkName)}')");
                                case TarEntryKind.Device:
                                    throw EntryPathPolicy.Refuse(header.Name, "device entries are not allowed");
                                case TarEntryKind.Fifo:
                                    throw EntryPathPolicy.Refuse(header.Name, "fifo entries are not allowed");
                                default:
                                    break;
                            }
                        }
                        catch (BundleException ex)
                        {
                            refusals.Add(Describe(ex));
                        }

                        await reader.Data.CopyToAsync(Stream.Null, ct).ConfigureAwait(false);
                    }
                }
                catch (BundleException ex)
                {
                    refusals.Add(Describe(ex));
                }
                catch (Exception ex) when (ex is InvalidDataException or FormatException or ZstdException or EndOfStreamException)
                {
                    // The extraction below reports it in the extension's words.
                }
            }
        }

        CheckCaps(entries, refusals);
    }

    private static void CheckCaps(List<InspectedEntry> entries, List<string> refusals)
    {
        var caps = DefaultCaps();
        try
        {
            foreach (var entry in entries)
            {
                caps.CountEntry(entry.Name);
                for (var left = entry.Kind == "file" ? entry.Size : 0; left > 0; left -= int.MaxValue)
                {
                    caps.CountBytes(entry.Name, (int)Math.Min(left, int.MaxValue));
                }
            }
        }
        catch (BundleException ex)
        {
            refusals.Add(Describe(ex));
        }
    }

    /// <summary>Unpacks with the extension's extractor into a temporary folder, removed after: its first refusal, bytes written, sha256.</summary>
    private static async Task<(string? Verdict, long Written, string? Sha256)> ExtractAsync(
        BundleSpec spec, IBundleSource source, SourceInfo info, RetryPolicy retry, CancellationToken ct)
    {
        var staging = Directory.CreateTempSubdirectory("extension-cache-inspect-");
        try
        {
            var caps = DefaultCaps();
            var target = new ExtractionTarget(staging.FullName, caps);
            if (info.Length == 0)
            {
                return ($"{source.DisplayName} is empty (0 bytes) [{FailureKinds.ErrorType(FailureKind.BundleIntegrity)}]", 0, null);
            }

            var extractor = await ArchiveExtractor.OpenAsync(spec, source, info, caps, retry, ct).ConfigureAwait(false);
            var stream = new ParallelRangeStream(source, info with { Tail = extractor.KnownTail }, 4 * 1024 * 1024, 4, retry, ct);
            await using (stream.ConfigureAwait(false))
            {
                await extractor.ExtractAsync(stream, null, target, 2, ct).ConfigureAwait(false);
                var sha = await stream.DrainAndHashAsync(ct).ConfigureAwait(false);
                return (null, target.Bytes, Convert.ToHexStringLower(sha));
            }
        }
        catch (BundleException ex)
        {
            return (Describe(ex), 0, null);
        }
        finally
        {
            if (!OperatingSystem.IsWindows())
            {
                MakeWritable(staging.FullName);
            }

            staging.Delete(recursive: true);
        }
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void MakeWritable(string root)
    {
        foreach (var directory in Directory.EnumerateDirectories(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
        {
            File.SetUnixFileMode(directory, (UnixFileMode)0x1C0 | File.GetUnixFileMode(directory));
        }
    }
}
