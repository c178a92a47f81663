using System.Collections.ObjectModel;
using System.Globalization;

namespace ExtensionCache.IntegrationTests.Infrastructure;

/// <summary>The LambdaEmulator command line both runners share (one-shot and serve mode add their own options).</summary>
public static class EmulatorArguments
{
    /// <summary>The emulator dll, layers, function, /tmp, timeouts and environment.</summary>
    public static void AddSandbox(
        Collection<string> args,
        RepositoryLayout layout,
        IReadOnlyList<string> layers,
        string function,
        string tmpDirectory,
        double timeoutSeconds,
        double? initTimeoutSeconds,
        IReadOnlyDictionary<string, string> environment)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(layout);
        args.Add(layout.EmulatorDll);
        foreach (var layer in layers)
        {
            args.Add("--layer");
            args.Add(layer);
        }

        args.Add("--function");
        args.Add(function);
        args.Add("--tmp");
        args.Add(tmpDirectory);
        args.Add("--timeout");
        args.Add(timeoutSeconds.ToString(CultureInfo.InvariantCulture));
        if (initTimeoutSeconds is { } initTimeout)
        {
            args.Add("--init-timeout");
            args.Add(initTimeout.ToString(CultureInfo.InvariantCulture));
        }

        foreach (var (key, value) in environment)
        {
            args.Add("--env");
            args.Add($"{key}={value}");
        }
    }

    /// <summary>The runtime command after <c>--</c>; nothing when empty (the function's <c>bootstrap</c>).</summary>
    public static void AddRuntime(Collection<string> args, IReadOnlyList<string> runtimeCommand)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (runtimeCommand.Count > 0)
        {
            args.Add("--");
            foreach (var part in runtimeCommand)
            {
                args.Add(part);
            }
        }
    }
}
