using System.Diagnostics;
using System.IO.Compression;
using ExtensionCache.IntegrationTests.Infrastructure;

namespace ExtensionCache.IntegrationTests.Fixtures;

/// <summary>
/// The real layer: <c>dotnet pwsh build-layer.ps1 -SkipSmoke</c> once per run (Native AOT publish, zip, checks),
/// then the tests use <c>artifacts/extension-cache-layer-x86_64.zip</c> as a user would.
/// </summary>
public sealed class LayerFixture : IAsyncLifetime
{
    public string LayerZip { get; } = RepositoryLayout.Current.LayerZip;

    /// <summary>What build-layer.ps1 printed (its checks), for tests that assert on it.</summary>
    public ProcessResult Build { get; private set; } = new(string.Empty, 0, [], TimeSpan.Zero);

    public async Task InitializeAsync()
    {
        var layout = RepositoryLayout.Current;
        await RunAsync(layout, ["tool", "restore"]);
        Build = await RunAsync(layout, ["pwsh", "-NoProfile", "-NonInteractive", layout.BuildLayerScript, "-SkipSmoke"]);
        using var zip = ZipFile.OpenRead(LayerZip);
        if (zip.GetEntry("extensions/extension-cache") is null)
        {
            throw new InvalidOperationException($"{LayerZip} has no extensions/extension-cache.");
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static async Task<ProcessResult> RunAsync(RepositoryLayout layout, string[] arguments)
    {
        var startInfo = new ProcessStartInfo("dotnet") { WorkingDirectory = layout.Root };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        var result = await ChildProcess.RunAsync(startInfo, Generous.Build);
        return result.ExitCode == 0
            ? result
            : throw new InvalidOperationException(
                $"dotnet {string.Join(' ', arguments)} failed with exit code {result.ExitCode}:\n{result.Output}");
    }
}
