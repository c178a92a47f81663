using System.Buffers.Binary;
using ExtensionCache.Cli.Packing;
using ExtensionCache.Extension.Archives;
using ExtensionCache.Extension.Configuration;

namespace ExtensionCache.Cli.Tests;

/// <summary>
/// ZIP64 in <c>pack</c>: more than 65,535 entries, and entries and a central directory past 4 GiB into the file (the
/// zip written after a sparse 4.5 GiB prefix, as after a self-extracting stub), each a real round trip through the
/// extension and bsdtar; an entry of 4 GiB and more by its records.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class Zip64Tests
{
    private const long FourGiB = 4L * 1024 * 1024 * 1024;

    [Fact]
    public async Task A_tree_of_more_than_65535_entries_round_trips()
    {
        using var temp = new TempDirectory();
        var tree = temp.Combine("many");
        for (var d = 0; d < 65; d++)
        {
            var folder = Path.Join(tree, $"d{d:00}");
            Directory.CreateDirectory(folder);
            for (var f = 0; f < 1008; f++)
            {
                // Mostly empty files: the entry count is what is tested, and empty files cost the least to write and read.
                File.WriteAllText(Path.Join(folder, $"f{f:0000}.js"), f == 1007 ? $"module.exports = {d};\n" : string.Empty);
            }
        }

        var archive = temp.Combine("many.zip");
        (await CliRun.RunAsync("pack", tree, "-o", archive)).EnsureSucceeded();

        Assert.Equal(65_585, (await PackMethodTests.RecordsAsync(archive)).Count);

        // Every file is size- and CRC-checked by the extension as it unpacks; the count and a sample prove the tree.
        var ours = temp.Combine("ours");
        await Unpacker.UnpackAsync(archive, BundleFormat.Zip, ours);
        Assert.Equal(65_520, Directory.EnumerateFiles(ours, "*.js", SearchOption.AllDirectories).Count());
        Assert.Equal("module.exports = 64;\n", await File.ReadAllTextAsync(Path.Join(ours, "d64", "f1007.js")));
        var listing = await ChildProcess.RunAsync(ChildProcess.Info("bsdtar", "-tf", archive), TimeSpan.FromMinutes(2));
        listing.EnsureSucceeded();
        Assert.Equal(65_585, listing.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    /// <summary>
    /// An entry of 4 GiB and more, by its records: packing and unpacking one for real reads and writes 4 GiB (about two
    /// minutes on a busy 2-core machine), so the headers the packer writes for it are read back by the extension's own
    /// reader instead, from a sparse file that puts the central directory past 7 GiB.
    /// </summary>
    [Fact]
    public async Task The_records_of_an_entry_of_4_GiB_and_more_are_read_back_by_the_extension()
    {
        using var temp = new TempDirectory();
        var name = "huge.bin"u8.ToArray();
        var record = new ZipPacker.Record(name, 93, 0x12345678, FourGiB + 7, (5 * FourGiB / 4) + 3, (3 * FourGiB / 2) + 11, 0x81A4, 1_700_000_000, Zip64Local: true);

        var local = ZipPacker.LocalHeader(record);
        Assert.Equal(uint.MaxValue, BinaryPrimitives.ReadUInt32LittleEndian(local.AsSpan(18)));
        Assert.Equal(uint.MaxValue, BinaryPrimitives.ReadUInt32LittleEndian(local.AsSpan(22)));
        long uncompressed = uint.MaxValue, compressed = uint.MaxValue, none = 0;
        ZipCentralDirectory.ApplyZip64(local.AsSpan(30 + name.Length), ref uncompressed, ref compressed, ref none, "huge.bin");
        Assert.Equal(record.Size, uncompressed);
        Assert.Equal(record.CompressedSize, compressed);

        var archive = temp.Combine("records.zip");
        var directoryOffset = 7 * FourGiB / 4;
        var directory = ZipPacker.CentralHeader(record);
        using (var file = new FileStream(archive, FileMode.CreateNew, FileAccess.Write))
        {
            file.SetLength(directoryOffset);
            file.Position = directoryOffset;
            file.Write(directory);
            file.Write(ZipPacker.EndRecords(1, directoryOffset, directory.Length));
        }

        var read = Assert.Single(await PackMethodTests.RecordsAsync(archive));
        Assert.Equal(("huge.bin", (ushort)93, 0x12345678u), (read.Name, read.Method, read.Crc32));
        Assert.Equal((record.Size, record.CompressedSize, record.Offset), (read.UncompressedSize, read.CompressedSize, read.LocalHeaderOffset));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), read.Modified);
    }

    [Fact]
    public async Task Entries_and_a_central_directory_past_4_GiB_into_the_file_are_read_back()
    {
        using var temp = new TempDirectory();
        var tree = Trees.BinaryHeavy(temp.Path);
        var archive = temp.Combine("far.zip");
        const long Prefix = FourGiB + (FourGiB / 8);
        using (var output = new FileStream(archive, FileMode.CreateNew, FileAccess.ReadWrite))
        {
            output.SetLength(Prefix);
            output.Position = Prefix;
            await ZipPacker.WriteAsync(TreeScanner.Scan(tree), output, ZipMethod.Auto, CancellationToken.None);
        }

        var records = await PackMethodTests.RecordsAsync(archive);
        Assert.All(records, r => Assert.True(r.LocalHeaderOffset >= Prefix, $"{r.Name} at {r.LocalHeaderOffset}"));
        var ours = temp.Combine("ours");
        await Unpacker.UnpackAsync(archive, BundleFormat.Zip, ours);
        Unpacker.AssertSameTree(tree, ours);
        var bsdtar = temp.Combine("bsdtar");
        Directory.CreateDirectory(bsdtar);
        (await ChildProcess.RunAsync(ChildProcess.Info("bsdtar", "-xf", archive, "-C", bsdtar), TimeSpan.FromMinutes(2))).EnsureSucceeded();
        Unpacker.AssertSameTree(tree, bsdtar);
    }
}
