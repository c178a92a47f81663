using System.Reflection;
using System.Runtime.Loader;

namespace SampleFunction.BundleCode;

/// <summary>
/// Real code loaded from a bundle: <c>&lt;bundle&gt;/Greeter.dll</c>, method <c>Greeter.Greeting.Hello(string)</c>.
/// Loaded into its own context so the function cannot accidentally bind to a copy shipped in the function itself.
/// </summary>
public sealed class GreeterAssembly
{
    public const string FileName = "Greeter.dll";
    public const string TypeName = "Greeter.Greeting";
    public const string MethodName = "Hello";

    private readonly Func<string, string> hello;

    private GreeterAssembly(string location, Func<string, string> hello)
    {
        Location = location;
        this.hello = hello;
    }

    /// <summary>Where the runtime actually loaded the assembly from.</summary>
    public string Location { get; }

    public static GreeterAssembly Load(string bundlePath)
    {
        var path = Path.Combine(bundlePath, FileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The bundle at {bundlePath} has no {FileName}.", path);
        }

        var context = new AssemblyLoadContext("bundle:" + Path.GetFileName(bundlePath));
        var assembly = context.LoadFromAssemblyPath(path);
        var method = assembly.GetType(TypeName, throwOnError: true)!
            .GetMethod(MethodName, BindingFlags.Public | BindingFlags.Static, [typeof(string)])
            ?? throw new MissingMethodException(TypeName, MethodName);
        return new GreeterAssembly(assembly.Location, method.CreateDelegate<Func<string, string>>());
    }

    public string Hello(string name) => hello(name);
}
