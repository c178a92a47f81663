using System.Reflection;

namespace ExtensionCache.IntegrationTests.Infrastructure;

/// <summary>Where the things under test live: under <see cref="RepositoryRoot"/>, built in the configuration baked in at build time.</summary>
public sealed record RepositoryLayout(string Root, string Configuration)
{
    public static RepositoryLayout Current { get; } = FromAssembly();

    public string EmulatorDll => Path.Combine(Root, "tests", "LambdaEmulator", "bin", Configuration, "net10.0", "LambdaEmulator.dll");

    public string SampleFunctionDirectory => Path.Combine(Root, "function", "SampleFunction", "bin", Configuration, "net10.0");

    public string GreeterDll => Path.Combine(Root, "function", "SampleBundle", "Greeter", "bin", Configuration, "net10.0", "Greeter.dll");

    public string NodeSampleDirectory => Path.Combine(Root, "function", "node-sample");

    public string TestsNodeModules => RepositoryRoot.TestsNodeModules;

    public string BuildLayerScript => Path.Combine(Root, "build-layer.ps1");

    public string LayerZip => Path.Combine(Root, "artifacts", "extension-cache-layer-x86_64.zip");

    private static RepositoryLayout FromAssembly()
    {
        var metadata = typeof(RepositoryLayout).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal);
        return new RepositoryLayout(RepositoryRoot.Path, metadata["Configuration"]!);
    }
}
