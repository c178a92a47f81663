using LambdaEmulator.Cli;

namespace LambdaEmulator.Sandbox;

/// <summary>
/// The folders of one execution environment: opt (layers, in order), var/task (function), tmp.
/// Deleted when the environment ends, except a --tmp folder, which belongs to the user.
/// </summary>
public sealed class ExecutionEnvironment : IDisposable
{
    private readonly bool _ownsTmp;

    private ExecutionEnvironment(string root, string tmp, bool ownsTmp)
    {
        Root = root;
        Opt = Path.Combine(root, "opt");
        Task = Path.Combine(root, "var", "task");
        Tmp = tmp;
        _ownsTmp = ownsTmp;
    }

    public string Root { get; }

    public string Opt { get; }

    public string Task { get; }

    public string Tmp { get; }

    public string ExtensionsFolder => Path.Combine(Opt, "extensions");

    public static ExecutionEnvironment Create(EmulatorOptions options)
    {
        var root = Directory.CreateTempSubdirectory("lambda-emulator-").FullName;
        var tmp = options.Tmp is { } given ? Path.GetFullPath(given) : Path.Combine(root, "tmp");
        var environment = new ExecutionEnvironment(root, tmp, ownsTmp: options.Tmp is null);
        try
        {
            Directory.CreateDirectory(environment.Opt);
            Directory.CreateDirectory(environment.Task);
            Directory.CreateDirectory(environment.Tmp);
            foreach (var layer in options.Layers)
            {
                CodeUnpacker.Unpack(layer, environment.Opt);
            }

            if (options.Function is { } function)
            {
                CodeUnpacker.Unpack(function, environment.Task);
            }

            return environment;
        }
        catch
        {
            environment.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        TryDelete(Path.Combine(Root, "opt"));
        TryDelete(Path.Combine(Root, "var"));
        if (_ownsTmp)
        {
            TryDelete(Tmp);
        }

        TryDelete(Root);
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
            // A straggling process may still write there; the OS temp cleaner gets it later.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
