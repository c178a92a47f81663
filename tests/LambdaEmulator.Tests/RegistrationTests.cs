using LambdaEmulator.Tests.Harness;

namespace LambdaEmulator.Tests;

/// <summary>Behaviour 2: registration is validated as Lambda validates it.</summary>
public sealed class RegistrationTests
{
    [Fact]
    public async Task Name_must_be_a_file_in_opt_extensions()
    {
        using var sandbox = new TestSandbox();
        sandbox.Extension("real", Scripts.Extension(name: "not-a-file")).Runtime(Scripts.Runtime());

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--invoke", "{}"));

        Assert.Contains(result.Stdout, l => l.StartsWith("[real] register 403 ", StringComparison.Ordinal)
            && l.Contains("\"errorType\":\"Extension.InvalidExtensionName\"", StringComparison.Ordinal));
        Assert.Equal(1, result.ExitCode);
    }

    [Fact]
    public async Task Events_must_be_INVOKE_or_SHUTDOWN()
    {
        using var sandbox = new TestSandbox();
        sandbox.Extension("ext", Scripts.Extension(events: """["INVOKE","BOGUS"]""")).Runtime(Scripts.Runtime());

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--invoke", "{}"));

        Assert.Contains(result.Stdout, l => l.StartsWith("[ext] register 403 ", StringComparison.Ordinal)
            && l.Contains("\"errorType\":\"Extension.InvalidEventType\"", StringComparison.Ordinal));
        Assert.Equal(1, result.ExitCode);
    }

    [Fact]
    public async Task At_most_ten_extensions_register()
    {
        using var sandbox = new TestSandbox();
        for (var i = 1; i <= 11; i++)
        {
            sandbox.Extension($"ext{i:00}", Scripts.Extension());
        }

        sandbox.Runtime(Scripts.Runtime());

        var result = await EmulatorProcess.RunAsync(sandbox.Args("--invoke", "{}"));

        // Only the first INIT: the rejected extension exits (Extension.Crash), so INIT fails and is retried.
        var firstInit = result.Stdout.Skip(1).TakeWhile(l => !l.StartsWith("INIT_START", StringComparison.Ordinal)).ToList();
        Assert.Equal(10, firstInit.Count(l => l.Contains("] register 200 ", StringComparison.Ordinal)));
        var rejected = Assert.Single(firstInit, l => l.Contains("] register 403 ", StringComparison.Ordinal));
        Assert.Contains("\"errorType\":\"Extension.TooManyExtensions\"", rejected, StringComparison.Ordinal);
    }
}
