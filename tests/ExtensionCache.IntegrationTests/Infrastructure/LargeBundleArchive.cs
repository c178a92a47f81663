using System.IO.Compression;
using System.Security.Cryptography;

namespace ExtensionCache.IntegrationTests.Infrastructure;

/// <summary>
/// A sample bundle made slow to download on purpose: <c>Greeter.dll</c> at the root (so the sample function
/// answers from it) and <c>data/part-NN.bin</c> files of incompressible bytes, stored, so the archive is as big as
/// its content.
/// </summary>
public static class LargeBundleArchive
{
    public static string Create(RepositoryLayout layout, string directory, int files, int fileBytes)
    {
        ArgumentNullException.ThrowIfNull(layout);
        Directory.CreateDirectory(directory);
        var zipPath = Path.Combine(directory, "large-bundle.zip");
        using var zip = ZipFile.Open(zipPath, ZipArchiveMode.Create);
        zip.CreateEntryFromFile(layout.GreeterDll, "Greeter.dll");
        var content = new byte[fileBytes];
        for (var i = 0; i < files; i++)
        {
            RandomNumberGenerator.Fill(content);
            using var stream = zip.CreateEntry($"data/part-{i:D2}.bin", CompressionLevel.NoCompression).Open();
            stream.Write(content);
        }

        return zipPath;
    }
}
