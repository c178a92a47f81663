using System.Collections;
using LambdaEmulator.Cli;

namespace LambdaEmulator.Sandbox;

/// <summary>The environment Lambda gives the runtime and extensions (see lambda-contract.md).</summary>
/// <param name="credentialsToken">SnapStart with credentials: the container credentials endpoint's token; the key
/// variables are then not given at all, as Lambda gives SnapStart functions none.</param>
public sealed class SandboxVariables(EmulatorOptions options, SandboxPaths paths, string runtimeApi, string? credentialsToken = null)
{
    private static readonly string[] Credentials = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"];

    public Dictionary<string, string> ForExtension()
    {
        var variables = Common();
        // Extensions never see the runtime-only or underscore variables, even if the function defines them.
        foreach (var key in variables.Keys.Where(k => k.StartsWith('_')).ToList())
        {
            variables.Remove(key);
        }

        return variables;
    }

    public Dictionary<string, string> ForRuntime()
    {
        var variables = Common();
        variables["_HANDLER"] = options.Handler;
        variables["LAMBDA_TASK_ROOT"] = paths.Task;
        if (options.Runtime is { } runtime)
        {
            variables["AWS_EXECUTION_ENV"] = $"AWS_Lambda_{runtime}";
        }

        if (!options.SnapStart)
        {
            // AWS: not available in SnapStart functions.
            variables["AWS_LAMBDA_LOG_GROUP_NAME"] = $"/aws/lambda/{options.FunctionName}";
            variables["AWS_LAMBDA_LOG_STREAM_NAME"] = "emulator";
        }

        return variables;
    }

    private Dictionary<string, string> Common()
    {
        var host = System.Environment.GetEnvironmentVariables();
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in host)
        {
            var key = (string)entry.Key;
            // Only what tools on this machine need to start (dotnet, node, curl); nothing else leaks in.
            if (key is "PATH" or "HOME" or "LANG" or "LC_ALL" || key.StartsWith("DOTNET_", StringComparison.Ordinal)
                || Credentials.Contains(key))
            {
                variables[key] = (string)entry.Value!;
            }
        }

        var region = options.Environment.GetValueOrDefault("AWS_REGION")
            ?? System.Environment.GetEnvironmentVariable("AWS_REGION") ?? "us-east-1";
        variables["AWS_REGION"] = region;
        variables["AWS_DEFAULT_REGION"] = region;
        variables["AWS_LAMBDA_FUNCTION_NAME"] = options.FunctionName;
        variables["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = options.MemoryMb.ToString(System.Globalization.CultureInfo.InvariantCulture);
        variables["AWS_LAMBDA_FUNCTION_VERSION"] = options.FunctionVersion;
        variables["AWS_LAMBDA_INITIALIZATION_TYPE"] = options.InitializationType;
        variables["AWS_LAMBDA_RUNTIME_API"] = runtimeApi;
        variables["TZ"] = ":UTC";
        variables["LAMBDA_EMULATOR_OPT"] = paths.Opt;
        if (paths.TmpVariable is { } tmp)
        {
            variables["TMPDIR"] = tmp;
        }

        foreach (var (key, value) in options.Environment)
        {
            variables[key] = value;
        }

        if (options.SnapStart)
        {
            // Whatever keys the emulator was given (its own or --env) are served by the endpoint only.
            foreach (var key in Credentials)
            {
                variables.Remove(key);
            }

            if (credentialsToken is not null)
            {
                variables["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = $"http://{runtimeApi}{Lifecycle.CredentialSessions.Path}";
                variables["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = credentialsToken;
            }
        }

        return variables;
    }
}
