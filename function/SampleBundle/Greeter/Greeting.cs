namespace Greeter;

/// <summary>The code the sample function loads from its bundle.</summary>
public static class Greeting
{
    public static string Hello(string name) => $"Hello, {name}, from the bundle!";
}
