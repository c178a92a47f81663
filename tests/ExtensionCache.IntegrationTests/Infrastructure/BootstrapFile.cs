namespace ExtensionCache.IntegrationTests.Infrastructure;

/// <summary>The <c>bootstrap</c> of a custom runtime: a script written with Unix line endings, mode 0755.</summary>
public static class BootstrapFile
{
    /// <summary>Writes <paramref name="script"/> as <c>bootstrap</c> into <paramref name="folder"/> (created if missing) and returns the folder.</summary>
    public static string Write(string folder, string script)
    {
        ArgumentNullException.ThrowIfNull(script);
        Directory.CreateDirectory(folder);
        var bootstrap = Path.Join(folder, "bootstrap");
        File.WriteAllText(bootstrap, script.ReplaceLineEndings("\n"));
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("the emulator and its runtimes are Linux only");
        }

        File.SetUnixFileMode(bootstrap, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return folder;
    }
}
