using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Tests.Fixtures;
using Xunit.Abstractions;

namespace ExtensionCache.Tests.Interop;

/// <summary>
/// Differential test of tar names: random trees (<see cref="RandomNameTree"/>: names and symlink targets of 1 to 400
/// bytes, multi-byte characters across bytes 100 and 155) are packed by GNU tar (--format=gnu, posix, ustar) and
/// bsdtar (its default, --format pax, gnutar, ustar); each archive, gzip-compressed, is published by the extension
/// and extracted by the tool that made it (GNU tar -x, bsdtar -x), and the two trees must match: names, kinds,
/// contents, permission bits, file mtimes, link targets.
/// The ustar producers pack only the entries ustar can hold (<see cref="RandomNameTree.FitsUstar"/>); a producer
/// that still refuses an entry (exit code not 0) has its case skipped and counted.
/// Runs <see cref="DefaultTrees"/> trees from seed <see cref="DefaultSeed"/>; to run more, or others, set
/// TAR_NAMES_TREES and TAR_NAMES_SEED, e.g.
/// <c>TAR_NAMES_TREES=2000 TAR_NAMES_SEED=7 dotnet test tests/ExtensionCache.Tests --filter TarNameDifferentialTests</c>.
/// A failure names the seed and tree, which replay exactly.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class TarNameDifferentialTests(ITestOutputHelper output)
{
    public const int DefaultTrees = 30;
    public const int DefaultSeed = 20;

    private const string GnuExtract = "tar --no-same-owner -p -xf \"$O\"";
    private const string BsdExtract = "bsdtar -x -p -o -f \"$O\"";

    private static readonly Tool[] Tools =
    [
        new("tar --format=gnu", "tar --format=gnu", GnuExtract, Ustar: false),
        new("tar --format=posix", "tar --format=posix", GnuExtract, Ustar: false),
        new("tar --format=ustar", "tar --format=ustar", GnuExtract, Ustar: true),
        new("bsdtar", "bsdtar", BsdExtract, Ustar: false),
        new("bsdtar --format pax", "bsdtar --format pax", BsdExtract, Ustar: false),
        new("bsdtar --format gnutar", "bsdtar --format gnutar", BsdExtract, Ustar: false),
        new("bsdtar --format ustar", "bsdtar --format ustar", BsdExtract, Ustar: true),
    ];

    [Fact]
    public async Task Random_long_multi_byte_names_publish_exactly_what_the_producing_tool_extracts()
    {
        var trees = Setting("TAR_NAMES_TREES", DefaultTrees);
        var seed = Setting("TAR_NAMES_SEED", DefaultSeed);
        var clock = Stopwatch.StartNew();
        var failures = new List<string>();
        int compared = 0, skipped = 0, bothRefused = 0, names = 0, across100 = 0, across155 = 0, targets = 0, targetsAcross100 = 0;
        TimeSpan writeTime = default, toolTime = default, extensionTime = default;
        using var work = new TempDirectory("ec-tar-names");
        for (var t = 0; t < trees; t++)
        {
            var writing = Stopwatch.StartNew();
            var tree = RandomNameTree.Generate(new Random(unchecked((seed * 100_003) + t)));
            var folder = work.Combine($"tree-{t}");
            var source = Path.Join(folder, "source");
            Directory.CreateDirectory(source);
            tree.Write(source);
            var list = Path.Join(folder, "ustar.list");
            File.WriteAllText(list, string.Concat(tree.Entries.Where(RandomNameTree.FitsUstar).Select(e => $"./{e.Path}\0")));
            writeTime += writing.Elapsed;
            foreach (var entry in tree.Entries)
            {
                names++;
                across100 += RandomNameTree.Straddles("./" + entry.Path, 100) ? 1 : 0;
                across155 += RandomNameTree.Straddles("./" + entry.Path, 155) ? 1 : 0;
                if (entry.Target is { } target)
                {
                    targets++;
                    targetsAcross100 += RandomNameTree.Straddles(target, 100) ? 1 : 0;
                }
            }

            // One shell per tree packs with every tool and extracts each archive with the tool that made it (a
            // process start costs more than a small archive on a busy machine).
            var shell = Stopwatch.StartNew();
            ProducerShell.Run("umask 022\n" + Script(list), folder, null);
            toolTime += shell.Elapsed;

            var extension = Stopwatch.StartNew();
            using var harness = new CacheHarness();
            for (var i = 0; i < Tools.Length; i++)
            {
                var tool = Tools[i];
                var context = $"seed {seed}, tree {t}, {tool.Name}";
                var packed = int.Parse(File.ReadAllText(Path.Join(folder, $"{i}.pack.rc")), CultureInfo.InvariantCulture);
                if (packed != 0)
                {
                    var refusal = File.ReadAllText(Path.Join(folder, $"{i}.pack.log")).Trim();
                    if (tool.Ustar)
                    {
                        skipped++;
                        output.WriteLine($"{context}: skipped, the producer refused: {refusal}");
                    }
                    else
                    {
                        failures.Add($"{context}: the producer failed ({packed}): {refusal}");
                    }

                    continue;
                }

                var extracted = int.Parse(File.ReadAllText(Path.Join(folder, $"{i}.extract.rc")), CultureInfo.InvariantCulture);
                var expected = TreeSnapshot.Take(Path.Join(folder, $"{i}.reference"), mtimes: true, modes: true);
                compared++;
                try
                {
                    var spec = harness.FileBundle($"names-{i}", Gzip(File.ReadAllBytes(Path.Join(folder, $"{i}.tar"))), BundleFormat.TarGz);
                    var published = (await harness.PrepareAsync(spec)).PublishedPath;
                    var diff = TreeSnapshot.Diff(TreeSnapshot.Take(published, mtimes: true, modes: true), expected);
                    if (extracted != 0)
                    {
                        failures.Add($"{context}: the extension published what the tool would not extract ({extracted}): {File.ReadAllText(Path.Join(folder, $"{i}.extract.log")).Trim()}");
                    }
                    else if (diff.Length > 0)
                    {
                        failures.Add($"{context}: the extension's tree differs from the tool's:\n{diff}");
                    }
                }
                catch (BundleException ex) when (extracted != 0)
                {
                    // Both refuse: what a producer wrote that its own extractor cannot read is not the extension's to publish.
                    bothRefused++;
                    output.WriteLine($"{context}: refused by the tool ({extracted}) and by the extension: {ex.Message}");
                }
                catch (BundleException ex)
                {
                    failures.Add($"{context}: the extension refused ({ex.ErrorType}) what the tool extracts: {ex.Message}");
                }
            }

            harness.AssertOutsideUntouched();
            extensionTime += extension.Elapsed;
            Directory.Delete(folder, recursive: true);
        }

        output.WriteLine(
            $"seed {seed}: {trees} trees, {names} paths ({across100} with a character across byte 100 of './path', {across155} across byte 155), " +
            $"{targets} link targets ({targetsAcross100} across byte 100); {compared} archives compared ({bothRefused} refused by both), {skipped} skipped (producer refused), " +
            $"{failures.Count} failures in {clock.Elapsed.TotalSeconds:0.0} s (writing trees {writeTime.TotalSeconds:0.0} s, tools {toolTime.TotalSeconds:0.0} s, extension and comparison {extensionTime.TotalSeconds:0.0} s)");
        Assert.True(failures.Count == 0, $"{failures.Count} of {compared} archives differ (replay with TAR_NAMES_SEED={seed} TAR_NAMES_TREES={trees}):\n{string.Join("\n", failures.Take(10))}");

        // The generator must have made what the test is about; a broken one would pass with short ASCII names.
        Assert.True(across100 >= trees / 2 && across155 >= trees / 4 && targetsAcross100 >= trees / 8, $"too few characters across the ustar boundaries: {across100}, {across155}, {targetsAcross100}");
        Assert.True(skipped + bothRefused <= compared / 10, $"{skipped} cases skipped because a producer refused and {bothRefused} refused by both, of {compared}");
    }

    /// <summary>
    /// The bash script, run in a tree's folder, that packs "source" with each tool into "i.tar" (the ustar ones only
    /// what <paramref name="list"/> names) and extracts it into "i.reference"; exit codes and output go to
    /// "i.pack.rc", "i.pack.log", "i.extract.rc" and "i.extract.log".
    /// </summary>
    private static string Script(string list)
    {
        var script = new System.Text.StringBuilder();
        for (var i = 0; i < Tools.Length; i++)
        {
            var tool = Tools[i];
            var pack = tool.Ustar ? $"{tool.Pack} -C source --no-recursion --null -T '{list}' -cf \"$O\"" : $"{tool.Pack} -C source -cf \"$O\" .";
            script.Append(CultureInfo.InvariantCulture, $$"""
                O="$PWD/{{i}}.tar"; rc=0
                {{pack}} > {{i}}.pack.log 2>&1 || rc=$?
                echo $rc > {{i}}.pack.rc
                if [ $rc = 0 ]; then
                  mkdir {{i}}.reference; rc=0
                  {{tool.Extract}} -C {{i}}.reference > {{i}}.extract.log 2>&1 || rc=$?
                  echo $rc > {{i}}.extract.rc
                fi

                """);
        }

        return script.ToString();
    }

    private static int Setting(string name, int fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    private static byte[] Gzip(byte[] tar)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(tar);
        }

        return output.ToArray();
    }

    private sealed record Tool(string Name, string Pack, string Extract, bool Ustar);
}
