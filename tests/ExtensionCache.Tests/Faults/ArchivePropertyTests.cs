using ExtensionCache.Extension.Bundles;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Extension.Publishing;
using ExtensionCache.Tests.Fixtures;
using FsCheck;
using FsCheck.Fluent;
using Xunit.Abstractions;

namespace ExtensionCache.Tests.Faults;

/// <summary>
/// Random trees and random corruptions, drawn by FsCheck generators from a fixed seed so a failure names a case that
/// replays exactly. The cases are run by hand (not through Check) because preparing a bundle is async.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ArchivePropertyTests(ITestOutputHelper output)
{
    private const ulong Seed = 0x5EED_2026;
    private const int Trees = 40;
    private const int Corruptions = 160;
    private const string ManifestFile = ".extension-cache-manifest.json";

    private static readonly int[] FileModes = [0x1A4, 0x1ED, 0x180, 0x1C0, 0x1B4, 0x1FD, 0x1A0];

    [Theory]
    [InlineData(BundleFormat.Zip, false)]
    [InlineData(BundleFormat.Zip, true)]
    [InlineData(BundleFormat.TarGz, false)]
    [InlineData(BundleFormat.TarZst, false)]
    public async Task A_random_valid_tree_round_trips_exactly(BundleFormat format, bool zstd)
    {
        var trees = TreeGen.Sample(Trees, new Rnd(Seed, 0x9E37_79B9_7F4A_7C15), 20);
        for (var i = 0; i < trees.Length; i++)
        {
            using var harness = new CacheHarness();
            var spec = harness.FileBundle("tree", Build(trees[i], format, zstd), format);
            harness.Cache.PrepareRoot([spec]);

            var result = await harness.Cache.PrepareAsync(spec, CancellationToken.None);

            AssertExactCopy(trees[i], format, result.PublishedPath, $"seed {Seed:x}, tree {i}, {format}{(zstd ? " (zstd)" : "")}");
            harness.AssertOutsideUntouched();
        }
    }

    [Theory]
    [InlineData(BundleFormat.Zip, false)]
    [InlineData(BundleFormat.Zip, true)]
    [InlineData(BundleFormat.TarGz, false)]
    [InlineData(BundleFormat.TarZst, false)]
    public async Task A_random_corruption_gives_an_exact_copy_or_a_clear_error_and_nothing_published(BundleFormat format, bool zstd)
    {
        (Tree Tree, Corruption Corruption)[] cases = TreeGen.SelectMany(_ => CorruptionGen, (tree, corruption) => (tree, corruption))
            .Sample(Corruptions, new Rnd(Seed + 1, 0x9E37_79B9_7F4A_7C15), 20);
        int copies = 0, errors = 0;
        for (var i = 0; i < cases.Length; i++)
        {
            var (tree, corruption) = cases[i];
            var context = $"seed {Seed + 1:x}, case {i}, {format}{(zstd ? " (zstd)" : "")}, {corruption}";
            using var harness = new CacheHarness();
            var spec = harness.FileBundle("tree", corruption.Apply(Build(tree, format, zstd)), format);
            harness.Cache.PrepareRoot([spec]);

            BundleResult? result = null;
            try
            {
                result = await harness.Cache.PrepareAsync(spec, CancellationToken.None);
            }
            catch (BundleException error)
            {
                Assert.False(string.IsNullOrWhiteSpace(error.Message), context);
                Assert.StartsWith("Extension.Bundle", error.ErrorType, StringComparison.Ordinal);

                // A corrupt archive is the archive's fault, never the network's: nothing is kept for another attempt.
                Assert.True(error.Kind != FailureKind.BundleFetchFailed, $"{context}: {error.Message}");
                harness.AssertNothingPublished("tree");
                errors++;
            }
            catch (Exception other) when (other is not Xunit.Sdk.XunitException)
            {
                Assert.Fail($"{context}: {other.GetType().Name} escaped instead of a BundleException: {other}");
            }

            if (result is not null)
            {
                AssertExactCopy(tree, format, result.PublishedPath, context);
                copies++;
            }

            harness.AssertOutsideUntouched();
        }

        output.WriteLine($"{format}{(zstd ? " (zstd)" : "")}: {Corruptions} corruptions, {errors} clear errors, {copies} exact copies");

        // Most random corruptions must be caught; a suite where every case "succeeds" would prove nothing.
        Assert.True(errors > Corruptions / 2, $"{errors} errors, {copies} exact copies");
    }

    private static Gen<Tree> TreeGen =>
        from dirCount in Gen.Choose(0, 5)
        from parents in Gen.ArrayOf(Gen.Choose(0, 100), dirCount)
        from files in Gen.NonEmptyListOf(FileGen).Select(f => f.Take(12).ToArray())
        from linkCount in Gen.Choose(0, 3)
        from links in Gen.ArrayOf(Gen.Choose(0, 100).SelectMany(_ => Gen.Choose(0, 100), (dir, file) => (dir, file)), linkCount)
        select Tree.Create(parents, files, links);

    private static Gen<TreeFile> FileGen =>
        from dir in Gen.Choose(0, 100)
        from mode in Gen.Elements(FileModes)
        from compressible in Gen.Elements(true, false)
        from length in Gen.Choose(0, 3000)
        from bytes in compressible
            ? Gen.Elements("abc", "{\"k\":1}\n", "module.exports=").Select(s => Enumerable.Repeat(s, (length / s.Length) + 1).Aggregate(string.Concat)).Select(s => System.Text.Encoding.UTF8.GetBytes(s[..length]))
            : Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), length)
        select new TreeFile(dir, mode, bytes);

    private static Gen<Corruption> CorruptionGen =>
        from kind in Gen.Elements(CorruptionKind.Flip, CorruptionKind.Truncate, CorruptionKind.Insert)
        from position in Gen.Choose(0, int.MaxValue)
        from value in Gen.Choose(1, 255)
        from inserted in Gen.Choose(1, 64)
        select new Corruption(kind, position, (byte)value, inserted);

    private static byte[] Build(Tree tree, BundleFormat format, bool zstd) =>
        format switch
        {
            // zstd entries in 1,000-byte frames, so files over that size have several frames and a seek table.
            BundleFormat.Zip when zstd => ZstdZip.Zip(tree.Entries.Select(e =>
                e.LinkTarget is { } target ? new ZstdZipEntry(e.Name, System.Text.Encoding.UTF8.GetBytes(target), System.Text.Encoding.UTF8.GetBytes(target), 0, 0xA1FF)
                : e.IsDirectory ? new ZstdZipEntry(e.Name, [], [], 0, 0x4000 | e.Mode)
                : ZstdZip.File(e.Name, e.Content!, frameSize: 1000) with { Mode = 0x8000 | e.Mode })),
            BundleFormat.Zip => ArchiveBuilder.Zip(tree.Entries),
            BundleFormat.TarGz => ArchiveBuilder.TarGz(tree.Entries),
            
            // Frames without a checksum cannot reveal a corrupted byte (only a sha256 pin can): test what the zstd CLI writes.
            _ => ArchiveBuilder.TarZst(tree.Entries, checksum: true),
        };

    private static void AssertExactCopy(Tree tree, BundleFormat format, string published, string context)
    {
        var actual = Directory.EnumerateFileSystemEntries(published, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(published, p))
            .Where(p => p != ManifestFile && p != ExtensionCache.Contract.CacheLayout.EntryIndexFileName)
            .Order(StringComparer.Ordinal)
            .ToList();
        var expected = tree.Entries.Select(e => e.Name.TrimEnd('/')).Order(StringComparer.Ordinal).ToList();
        Assert.True(expected.SequenceEqual(actual), $"{context}: expected [{string.Join(", ", expected)}] got [{string.Join(", ", actual)}]");

        foreach (var entry in tree.Entries)
        {
            var path = Path.Join(published, entry.Name.TrimEnd('/'));
            var info = new FileInfo(path);
            if (entry.LinkTarget is { } target)
            {
                Assert.True(info.LinkTarget == target, $"{context}: {entry.Name} links to '{info.LinkTarget}', expected '{target}'");
            }
            else if (entry.IsDirectory)
            {
                Assert.True(Directory.Exists(path) && info.LinkTarget is null, $"{context}: {entry.Name} is not a directory");
            }
            else
            {
                Assert.True(info.LinkTarget is null && File.Exists(path), $"{context}: {entry.Name} is not a regular file");
                Assert.True(entry.Content.AsSpan().SequenceEqual(File.ReadAllBytes(path)), $"{context}: {entry.Name} content differs");
                var mode = File.GetUnixFileMode(path);
                // A zip's files are published without write bits (a delta update hard-links them); a tar's stay owner-writable.
                var expectedMode = format == BundleFormat.Zip ? (entry.Mode | 0x100) & ~0x92 : entry.Mode | 0x180;
                Assert.True(mode == (UnixFileMode)expectedMode, $"{context}: {entry.Name} mode {Convert.ToString((int)mode, 8)} != {Convert.ToString(expectedMode, 8)}");
            }
        }
    }

    private sealed record TreeFile(int Dir, int Mode, byte[] Content);

    /// <summary>Directories d{i} (each under an earlier one), files f{j}.bin, and relative links l{k} to files: every name is unique.</summary>
    private sealed record Tree(IReadOnlyList<ArchiveEntry> Entries)
    {
        public static Tree Create(int[] parents, TreeFile[] files, (int Dir, int File)[] links)
        {
            var dirs = new List<string> { string.Empty };
            for (var i = 0; i < parents.Length; i++)
            {
                dirs.Add(dirs[parents[i] % dirs.Count] + $"d{i}/");
            }

            var entries = dirs.Skip(1).Select(d => ArchiveEntry.Directory(d)).ToList();
            var filePaths = new List<string>();
            for (var j = 0; j < files.Length; j++)
            {
                var path = dirs[files[j].Dir % dirs.Count] + $"f{j}.bin";
                filePaths.Add(path);
                entries.Add(ArchiveEntry.File(path, files[j].Content, files[j].Mode));
            }

            for (var k = 0; k < links.Length; k++)
            {
                var linkDir = dirs[links[k].Dir % dirs.Count];
                var target = filePaths[links[k].File % filePaths.Count];
                var relative = Path.GetRelativePath(linkDir.Length == 0 ? "." : linkDir, target);
                entries.Add(ArchiveEntry.Symlink(linkDir + $"l{k}", relative));
            }

            // A fixed time: otherwise the tar writer stamps "now" and a corruption offset would hit other bytes on each run.
            var when = new DateTimeOffset(2024, 1, 2, 3, 4, 6, TimeSpan.Zero);
            return new Tree([.. entries.Select(e => e with { Modified = when })]);
        }

        public override string ToString() => string.Join(", ", Entries.Select(e => e.Name));
    }

    private enum CorruptionKind
    {
        Flip,
        Truncate,
        Insert,
    }

    private sealed record Corruption(CorruptionKind Kind, int Position, byte Value, int Inserted)
    {
        public byte[] Apply(byte[] archive)
        {
            var at = Position % archive.Length;
            switch (Kind)
            {
                case CorruptionKind.Flip:
                    var flipped = (byte[])archive.Clone();
                    flipped[at] ^= Value;
                    return flipped;
                case CorruptionKind.Truncate:
                    return archive[..at];
                default:
                    return [.. archive[..at], .. Enumerable.Repeat(Value, Inserted), .. archive[at..]];
            }
        }
    }
}
