using ExtensionCache.Extension.Publishing;

namespace ExtensionCache.Tests.Fixtures;

/// <summary>A real directory under the system temp folder, removed (links never followed) on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Join(System.IO.Path.GetTempPath(), "ec-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Join([Path, .. parts]);

    public void Dispose() => Publisher.DeleteTree(Path);
}
