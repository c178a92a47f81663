using System.Formats.Tar;
using ExtensionCache.Cli.Inspecting;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Tests.Fixtures;

namespace ExtensionCache.Cli.Tests;

/// <summary>inspect against the extension's own hostile archives: the same verdict as the extension's extractor.</summary>
public sealed class InspectTests
{
    public static TheoryData<string> HostileZips => ["dotdot", "backslash", "reserved", "link-out", "link-absolute", "through-link", "duplicate", "encrypted", "bzip2", "deflate64", "bad-crc"];

    public static TheoryData<string> HostileTars => ["hardlink", "fifo", "device", "link-out", "dotdot", "zst-no-checksum"];

    [Theory]
    [MemberData(nameof(HostileZips))]
    public async Task Inspect_refuses_every_hostile_zip_with_the_extensions_own_verdict(string name)
    {
        using var temp = new TempDirectory();
        var archive = temp.Combine(name + ".zip");
        await File.WriteAllBytesAsync(archive, HostileZip(name));

        await AssertSameVerdictAsync(archive, BundleFormat.Zip, temp);
    }

    [Theory]
    [MemberData(nameof(HostileTars))]
    public async Task Inspect_refuses_every_hostile_tar_with_the_extensions_own_verdict(string name)
    {
        using var temp = new TempDirectory();
        var zst = name == "zst-no-checksum";
        var archive = temp.Combine(name + (zst ? ".tar.zst" : ".tar.gz"));
        await File.WriteAllBytesAsync(archive, HostileTar(name));

        await AssertSameVerdictAsync(archive, zst ? BundleFormat.TarZst : BundleFormat.TarGz, temp);
    }

    [Fact]
    public async Task Inspect_lists_entries_sizes_and_accepts_a_clean_archive()
    {
        using var temp = new TempDirectory();
        var archive = temp.Combine("ok.zip");
        await File.WriteAllBytesAsync(archive, ArchiveBuilder.Zip([ArchiveEntry.File("big.bin", new byte[50_000]), ArchiveEntry.File("small.txt", "x"), ArchiveEntry.Directory("d/")]));

        var result = await CliRun.RunAsync("inspect", archive);

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Contains("entries: 3 (2 files)", result.Output, StringComparison.Ordinal);
        Assert.Contains("unpacked: 50,001 bytes", result.Output, StringComparison.Ordinal);
        Assert.Contains("peak /tmp: 50,001 bytes", result.Output, StringComparison.Ordinal);
        Assert.Contains("verdict: accepted", result.Output, StringComparison.Ordinal);
        Assert.True(result.Output.IndexOf("big.bin", StringComparison.Ordinal) < result.Output.IndexOf("small.txt", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Inspect_lists_every_refusal_not_just_the_first()
    {
        using var temp = new TempDirectory();
        var archive = temp.Combine("many.zip");
        var zip = ArchiveBuilder.Zip([ArchiveEntry.File("../one", "x"), ArchiveEntry.File("two", "x"), ArchiveEntry.File("three", "x")]);
        ZipPatch.SetMethod(zip, "two", 9);
        ZipPatch.SetFlagBits(zip, "three", 0x1);
        await File.WriteAllBytesAsync(archive, zip);

        var result = await CliRun.RunAsync("inspect", archive);

        Assert.Equal(ExitCodes.Refused, result.ExitCode);
        Assert.Contains("'../one' refused: a '..' segment", result.Output, StringComparison.Ordinal);
        Assert.Contains("compression method 9 (Deflate64)", result.Output, StringComparison.Ordinal);
        Assert.Contains("'three' is encrypted", result.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// GNU tar --format=posix puts a PAX header whose own name ("./long/PaxHeaders/日日…") is cut inside a character
    /// before a long non-ASCII name: only the name written is judged, and a Latin-1 name is refused as "./café.txt".
    /// </summary>
    [Fact]
    public async Task Inspect_judges_the_name_a_PAX_header_gives_not_the_header_s_own()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Combine("long", "long"));
        await File.WriteAllTextAsync(temp.Combine("long", "long", new string('日', 40)), "x");
        Directory.CreateDirectory(temp.Combine("latin1"));
        await ShAsync("printf x > \"$(printf 'caf\\351.txt')\"", temp.Combine("latin1"));
        await ShAsync("tar --format=posix -czf ../long.tar.gz . && cd ../latin1 && tar --format=posix -czf ../latin1.tar.gz .", temp.Combine("long"));

        var accepted = await CliRun.RunAsync("inspect", temp.Combine("long.tar.gz"));
        var refused = await CliRun.RunAsync("inspect", temp.Combine("latin1.tar.gz"));

        Assert.Equal(ExitCodes.Ok, accepted.ExitCode);
        Assert.Contains("verdict: accepted", accepted.Output, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Refused, refused.ExitCode);
        Assert.Contains("'./café.txt' refused: the name is not valid UTF-8", refused.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("PaxHeaders", refused.Output, StringComparison.Ordinal);

        // .NET cannot name a file whose name is not UTF-8, so it cannot delete it either.
        await ShAsync("rm -rf latin1", temp.Path);
    }

    private static async Task ShAsync(string command, string directory)
    {
        var info = ChildProcess.Info("bash", "-c", "set -e; " + command);
        info.WorkingDirectory = directory;
        info.Environment["LC_ALL"] = "C.UTF-8";
        (await ChildProcess.RunAsync(info, TimeSpan.FromMinutes(1))).EnsureSucceeded();
    }

    private static async Task AssertSameVerdictAsync(string archive, BundleFormat format, TempDirectory temp)
    {
        var extension = await Assert.ThrowsAsync<BundleException>(() => Unpacker.UnpackAsync(archive, format, temp.Combine("extension")));

        var report = await Inspector.InspectAsync(archive, null, CancellationToken.None);

        Assert.False(report.Accepted);
        Assert.Contains(Inspector.Describe(extension), report.Refusals);
    }

    private static byte[] HostileZip(string name)
    {
        switch (name)
        {
            case "dotdot": return ArchiveBuilder.Zip([ArchiveEntry.File("ok.txt", "fine"), ArchiveEntry.File("../evil.txt", "evil")]);
            case "backslash": return ArchiveBuilder.Zip([ArchiveEntry.File("a\\..\\..\\evil.txt", "evil")]);
            case "reserved": return ArchiveBuilder.Zip([ArchiveEntry.File(".extension-cache-manifest.json", "{}")]);
            case "link-out": return ArchiveBuilder.Zip([ArchiveEntry.Symlink("deep/escape", "../../evil")]);
            case "link-absolute": return ArchiveBuilder.Zip([ArchiveEntry.Symlink("escape", "/etc/passwd")]);
            case "through-link": return ArchiveBuilder.Zip([ArchiveEntry.Directory("inside/"), ArchiveEntry.Symlink("lnk", "inside"), ArchiveEntry.File("lnk/evil.txt", "x")]);
            case "duplicate": return ArchiveBuilder.Zip([ArchiveEntry.File("dup.txt", "one"), ArchiveEntry.File("dup.txt", "two")]);
            case "encrypted":
                {
                    var zip = ArchiveBuilder.Zip([ArchiveEntry.File("secret.txt", "x")]);
                    ZipPatch.SetFlagBits(zip, "secret.txt", 0x1);
                    return zip;
                }

            case "bzip2" or "deflate64":
                {
                    var zip = ArchiveBuilder.Zip([ArchiveEntry.File("m.txt", "x")]);
                    ZipPatch.SetMethod(zip, "m.txt", name == "bzip2" ? (ushort)12 : (ushort)9);
                    return zip;
                }

            default:
                {
                    var zip = ArchiveBuilder.Zip([ArchiveEntry.File("data.bin", new byte[1000])], System.IO.Compression.CompressionLevel.NoCompression);
                    zip[ZipOffsets.Data(zip, "data.bin") + 500] ^= 0xFF;
                    return zip;
                }
        }
    }

    private static byte[] HostileTar(string name) => name switch
    {
        "hardlink" => ArchiveBuilder.TarGz(w =>
        {
            w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "a.txt") { DataStream = new MemoryStream([1]) });
            w.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "b.txt") { LinkName = "a.txt" });
        }),
        "fifo" => ArchiveBuilder.TarGz(w => w.WriteEntry(new PaxTarEntry(TarEntryType.Fifo, "pipe"))),
        "device" => ArchiveBuilder.TarGz(w => w.WriteEntry(new PaxTarEntry(TarEntryType.CharacterDevice, "dev") { DeviceMajor = 1, DeviceMinor = 3 })),
        "link-out" => ArchiveBuilder.TarGz([ArchiveEntry.Symlink("escape", "../../../evil")]),
        "dotdot" => ArchiveBuilder.TarGz([ArchiveEntry.File("a/../../evil.txt", "evil")]),
        _ => ArchiveBuilder.TarZst([ArchiveEntry.File("a.txt", "x")], checksum: false),
    };
}
