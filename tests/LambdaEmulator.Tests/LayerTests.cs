using System.IO.Compression;
using LambdaEmulator.Tests.Harness;

namespace LambdaEmulator.Tests;

/// <summary>Layers and function code as zips: unix modes kept, layers unpacked into /opt in the given order.</summary>
public sealed class LayerTests
{
    private const int RegularFile = 0x8000;

    [Fact]
    public async Task Zip_layers_keep_exec_bits_and_later_layers_win()
    {
        using var sandbox = new TestSandbox();
        var first = Path.Combine(sandbox.Root, "first.zip");
        var second = Path.Combine(sandbox.Root, "second.zip");
        var function = Path.Combine(sandbox.Root, "function.zip");
        WriteZip(first, ("extensions/zipped", Scripts.Extension(), 0x1ED), ("who.txt", "first", 0x1A4));
        WriteZip(second, ("who.txt", "second", 0x1A4));
        WriteZip(function, ("bootstrap", Scripts.Runtime(init: "echo \"[runtime] who=$(cat \"$LAMBDA_EMULATOR_OPT/who.txt\")\""), 0x1ED));
        var payload = Path.Combine(sandbox.Root, "payload.json");
        await File.WriteAllTextAsync(payload, """{"from":"file"}""");

        var result = await EmulatorProcess.RunAsync(["--layer", first, "--layer", second, "--function", function, "--invoke", "@" + payload]);

        Assert.True(result.ExitCode == 0, result.Transcript);
        Assert.Contains(result.Stdout, l => l.StartsWith("[zipped] register 200", StringComparison.Ordinal));
        Assert.Contains("[runtime] who=second", result.Stdout);
        Assert.EndsWith("{\"echo\":{\"from\":\"file\"}}", Assert.Single(result.Matching("RESPONSE ")), StringComparison.Ordinal);
    }

    private static void WriteZip(string path, params (string Name, string Content, int Mode)[] entries)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, content, mode) in entries)
        {
            var entry = zip.CreateEntry(name);
            entry.ExternalAttributes = (RegularFile | mode) << 16;
            using var writer = new StreamWriter(entry.Open());
            writer.Write(content.ReplaceLineEndings("\n"));
        }
    }
}
