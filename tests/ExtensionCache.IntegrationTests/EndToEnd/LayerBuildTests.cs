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
        foreach (var check in new[] { "layout", "wrapper", "mode", "elf", "glibc", "size" })
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

    [Fact]
    public void Layer_zip_holds_the_exec_wrapper_and_the_node_resolve_hook_as_layer_opt_has_them()
    {
        using var zip = ZipFile.OpenRead(layer.LayerZip);
        var opt = Path.Combine(RepositoryRoot.Path, "layer", "opt");
        foreach (var (name, mode) in new[] { ("extension-cache-wrapper", 0x81ED), ("extension-cache/node-resolve.mjs", 0x81A4), ("extension-cache/node-resolve-hooks.mjs", 0x81A4) })
        {
            var entry = zip.GetEntry(name);
            Assert.NotNull(entry);
            Assert.Equal(mode, (entry.ExternalAttributes >> 16) & 0xFFFF);
            using var reader = new StreamReader(entry.Open());
            Assert.Equal(File.ReadAllText(Path.Combine(opt, name)), reader.ReadToEnd());
        }
    }
}
