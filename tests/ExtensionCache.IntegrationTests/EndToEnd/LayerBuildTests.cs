using System.IO.Compression;
using ExtensionCache.IntegrationTests.Fixtures;

namespace ExtensionCache.IntegrationTests.EndToEnd;

/// <summary>build-layer.ps1 printed each of its checks, and the zip really has what they claim.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class LayerBuildTests(LayerFixture layer)
{
    [Fact]
    public void Layer_zip_holds_an_executable_x86_64_extension()
    {
        foreach (var check in new[] { "layout", "mode", "elf", "glibc", "size" })
        {
            Assert.Contains(layer.Build.Lines, l => l.Contains($"[ok] {check}", StringComparison.Ordinal));
        }

        using var zip = ZipFile.OpenRead(layer.LayerZip);
        var entry = zip.GetEntry("extensions/extension-cache");
        Assert.NotNull(entry);
        Assert.Equal(0x81ED, (entry.ExternalAttributes >> 16) & 0xFFFF);
        using var stream = entry.Open();
        var header = new byte[20];
        stream.ReadExactly(header);
        Assert.Equal([0x7F, (byte)'E', (byte)'L', (byte)'F'], header[..4]);
        Assert.Equal(0x3E, header[18] | (header[19] << 8));
    }
}
