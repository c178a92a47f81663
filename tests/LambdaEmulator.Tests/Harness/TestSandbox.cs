namespace LambdaEmulator.Tests.Harness;

/// <summary>A temp folder with a layer (extensions) and a function (bootstrap) for one test; deleted on dispose.</summary>
internal sealed class TestSandbox : IDisposable
{
    private const UnixFileMode Executable =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    public TestSandbox()
    {
        Root = Directory.CreateTempSubdirectory("emulator-test-").FullName;
        Layer = Path.Combine(Root, "layer");
        Function = Path.Combine(Root, "function");
        Directory.CreateDirectory(Path.Combine(Layer, "extensions"));
        Directory.CreateDirectory(Function);
    }

    public string Root { get; }

    public string Layer { get; }

    public string Function { get; }

    /// <summary>A folder for files the test and the scripts share (outside the sandbox's /tmp).</summary>
    public string Shared => Directory.CreateDirectory(Path.Combine(Root, "shared")).FullName;

    public TestSandbox Extension(string name, string script, bool executable = true)
    {
        Write(Path.Combine(Layer, "extensions", name), script, executable);
        return this;
    }

    public TestSandbox Runtime(string script)
    {
        Write(Path.Combine(Function, "bootstrap"), script, executable: true);
        return this;
    }

    /// <summary>--layer and --function for this sandbox, then the given options.</summary>
    public IEnumerable<string> Args(params string[] more) => ["--layer", Layer, "--function", Function, .. more];

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static void Write(string path, string script, bool executable)
    {
        File.WriteAllText(path, script.ReplaceLineEndings("\n"));
        File.SetUnixFileMode(path, executable ? Executable : UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}
