using ExtensionCache.Extension.Archives;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Sources;

namespace ExtensionCache.Cli.Tests;

/// <summary>Unpacks an archive exactly as the extension does (its sources, range stream and extractors) into a folder.</summary>
public static class Unpacker
{
    public static async Task UnpackAsync(IBundleSource source, BundleFormat format, string destination, string? sha256 = null)
    {
        var retry = new RetryPolicy(TimeProvider.System);
        var info = await source.ProbeAsync(CancellationToken.None);
        var caps = new ExtractionCaps(CacheOptions.DefaultMaxBytes, CacheOptions.DefaultMaxEntries);
        Directory.CreateDirectory(destination);
        using var target = new ExtractionTarget(destination, caps);
        var spec = new BundleSpec("test", new FileLocation(new Uri("file:///x"), "/x"), format, sha256);
        var extractor = await ArchiveExtractor.OpenAsync(spec, source, info, caps, retry, CancellationToken.None);
        await using var stream = new ParallelRangeStream(source, info with { Tail = extractor.KnownTail }, 4 * 1024 * 1024, 4, retry, CancellationToken.None);
        await extractor.ExtractAsync(stream, null, target, 2, CancellationToken.None);
        var hash = Convert.ToHexStringLower(await stream.DrainAndHashAsync(CancellationToken.None));
        if (sha256 is not null)
        {
            Assert.Equal(sha256, hash);
        }

        target.Complete();
    }

    public static Task UnpackAsync(string archive, BundleFormat format, string destination) =>
        UnpackAsync(new FileBundleSource(archive), format, destination);

    /// <summary>Asserts two trees hold the same paths, kinds, contents, exec bits, link targets and file mtimes (to the second).</summary>
    public static void AssertSameTree(string expected, string actual)
    {
        var left = List(expected);
        var right = List(actual);
        Assert.Equal(left.Keys.Order(StringComparer.Ordinal), right.Keys.Order(StringComparer.Ordinal));
        foreach (var (path, kind) in left)
        {
            Assert.Equal(kind, right[path]);
            var a = Path.Join(expected, path);
            var b = Path.Join(actual, path);
            if (kind == "file")
            {
                Assert.True(File.ReadAllBytes(a).AsSpan().SequenceEqual(File.ReadAllBytes(b)), $"{path}: contents differ");
                Assert.Equal(File.GetUnixFileMode(a) & UnixFileMode.UserExecute, File.GetUnixFileMode(b) & UnixFileMode.UserExecute);
                Assert.Equal(Seconds(a), Seconds(b));
            }
            else if (kind == "link")
            {
                Assert.Equal(new FileInfo(a).LinkTarget, new FileInfo(b).LinkTarget);
            }
        }
    }

    public static long Seconds(string path) => new DateTimeOffset(File.GetLastWriteTimeUtc(path)).ToUnixTimeSeconds();

    private static Dictionary<string, string> List(string root) =>
        Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Where(p => !IsUnderLink(root, p))
            .Where(p => Path.GetRelativePath(root, p) is not (ExtensionCache.Contract.CacheLayout.ManifestFileName or ExtensionCache.Contract.CacheLayout.EntryIndexFileName))
            .ToDictionary(
                p => Path.GetRelativePath(root, p),
                p => new FileInfo(p).LinkTarget is not null ? "link" : Directory.Exists(p) ? "dir" : "file",
                StringComparer.Ordinal);

    private static bool IsUnderLink(string root, string path)
    {
        for (var parent = Path.GetDirectoryName(path); parent is not null && parent.Length > root.Length; parent = Path.GetDirectoryName(parent))
        {
            if (new DirectoryInfo(parent).LinkTarget is not null)
            {
                return true;
            }
        }

        return false;
    }
}
