namespace ExtensionCache.TestSupport;

/// <summary>
/// A real folder under the system temp folder, removed with everything in it on dispose. Links inside are removed,
/// never followed; read-only folders (hostile archives make them) are made writable first.
/// </summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix = "ec-test")
    {
        Path = Directory.CreateTempSubdirectory(prefix + "-").FullName;
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Join([Path, .. parts]);

    public void Dispose()
    {
        var root = new DirectoryInfo(Path);
        if (!root.Exists)
        {
            return;
        }

        try
        {
            root.Delete(recursive: true);
        }
        catch (UnauthorizedAccessException) when (!OperatingSystem.IsWindows())
        {
            var all = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint };
            foreach (var dir in root.EnumerateDirectories("*", all).Prepend(root))
            {
                dir.UnixFileMode |= UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
            }

            root.Delete(recursive: true);
        }
    }
}
