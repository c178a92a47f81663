using System.Diagnostics;
using System.IO.Compression;
using ExtensionCache.IntegrationTests.Fixtures;
using ExtensionCache.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace ExtensionCache.IntegrationTests.EndToEnd;

/// <summary>
/// The arm64 layer, cross-built exactly as a user would (<c>build-layer.ps1 -Architecture arm64</c>), and its
/// binary run end to end under qemu-user (the emulator starts it through a one-line wrapper): register, fetch
/// from s3rver, verify, publish, and the sample function answers from the bundle.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class Arm64LayerTests(LayerFixture layer, S3ServerFixture s3, ITestOutputHelper output)
    : EndToEndTestBase(layer, s3, output)
{
    private const string Qemu = "qemu-aarch64-static";

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Arm64_layer_cross_builds_and_its_binary_serves_the_sample_function_under_qemu()
    {
        var build = await RunAsync("dotnet", "pwsh", "-NoProfile", "-NonInteractive", Layout.BuildLayerScript, "-Architecture", "arm64", "-SkipSmoke");
        Assert.True(build.ExitCode == 0, $"build-layer.ps1 -Architecture arm64 failed:\n{build.Output}");
        Assert.Contains(build.Lines, l => l.Contains("[ok] elf", StringComparison.Ordinal) && l.Contains("0xB7 (AArch64)", StringComparison.Ordinal));
        Assert.Contains(build.Lines, l => l.Contains("[ok] glibc", StringComparison.Ordinal));

        // The binary from the zip, as Lambda would unpack it to /opt/extensions; it registers under its file name.
        var layerZip = Path.Combine(Layout.Root, "artifacts", "extension-cache-layer-arm64.zip");
        var binary = Work.Combine("arm64-bin", "extension-cache");
        Directory.CreateDirectory(Path.GetDirectoryName(binary)!);
        using (var zip = ZipFile.OpenRead(layerZip))
        {
            zip.GetEntry("extensions/extension-cache")!.ExtractToFile(binary);
        }

        File.SetUnixFileMode(binary, (UnixFileMode)Convert.ToInt32("755", 8));
        var version = await RunAsync(Qemu, binary, "--version");
        Assert.True(version.ExitCode == 0, $"{Qemu} {binary} --version failed:\n{version.Output}");
        Assert.StartsWith("1.", version.Lines[0], StringComparison.Ordinal);

        // A layer folder whose extension runs the arm64 binary under qemu; its name stays extension-cache.
        var wrapper = Work.Combine("arm64-layer", "extensions", "extension-cache");
        Directory.CreateDirectory(Path.GetDirectoryName(wrapper)!);
        await File.WriteAllTextAsync(wrapper, $"#!/bin/sh\nexec {Qemu} '{binary}' \"$@\"\n");
        File.SetUnixFileMode(wrapper, (UnixFileMode)Convert.ToInt32("755", 8));

        var bundle = await UploadSampleBundleAsync();
        var request = SampleFunctionRequest(NewTmp("env"), BundleEnvironment($"sample={bundle.Uri}"), """{"name":"arm64"}""")
            with { Layers = [Work.Combine("arm64-layer")] };
        var run = await Emulator.RunAsync(request);

        Assert.True(run.ExitCode == 0, $"emulator exit code {run.ExitCode}");
        var answer = Assert.Single(run.Responses);
        Assert.Equal("Hello, arm64, from the bundle!", answer.GetProperty("greeting").GetString());
        Assert.Equal(bundle.Sha256, answer.GetProperty("manifest").GetProperty("sha256").GetString());
        Assert.Contains(run.ExtensionLines, l => l.Contains("published bundle=sample", StringComparison.Ordinal));
    }

    private async Task<ProcessResult> RunAsync(string fileName, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(fileName) { WorkingDirectory = Layout.Root };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        Output.WriteLine($"$ {fileName} {string.Join(' ', arguments)}");
        return await ChildProcess.RunAsync(startInfo, Generous.Build);
    }
}
