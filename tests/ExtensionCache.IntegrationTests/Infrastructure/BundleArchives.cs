using System.IO.Compression;
using System.Security.Cryptography;

namespace ExtensionCache.IntegrationTests.Infrastructure;

/// <summary>The bundles the tests upload, built from the repo's real outputs.</summary>
public static class BundleArchives
{
    /// <summary>Size of the incompressible padding in the sample bundle.</summary>
    public const int PaddingBytes = 256 * 1024;

    /// <summary>
    /// The sample bundle: <c>Greeter.dll</c> at the root and <c>data/padding.bin</c>, incompressible and large enough
    /// that fetching the whole object can be told apart from the extension's small tail probe in s3rver's log.
    /// </summary>
    public static string CreateSampleBundle(RepositoryLayout layout, string directory)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var zipPath = Path.Combine(directory, "sample-bundle.zip");
        using var zip = ZipFile.Open(zipPath, ZipArchiveMode.Create);
        zip.CreateEntryFromFile(layout.GreeterDll, "Greeter.dll");
        var padding = new byte[PaddingBytes];
        RandomNumberGenerator.Fill(padding);
        using (var stream = zip.CreateEntry("data/padding.bin", CompressionLevel.NoCompression).Open())
        {
            stream.Write(padding);
        }

        return zipPath;
    }

    /// <summary>A Node bundle: <c>node_modules/lodash/**</c> from tests/node_modules.</summary>
    public static string CreateNodeBundle(RepositoryLayout layout, string directory)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var source = Path.Combine(layout.TestsNodeModules, "lodash");
        var zipPath = Path.Combine(directory, "node-bundle.zip");
        using var zip = ZipFile.Open(zipPath, ZipArchiveMode.Create);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file).Replace('\\', '/');
            zip.CreateEntryFromFile(file, "node_modules/lodash/" + relative, CompressionLevel.Fastest);
        }

        return zipPath;
    }

    public static string Sha256(string file) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)));
}
