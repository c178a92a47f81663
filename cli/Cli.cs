using ExtensionCache.Cli.Packing;
using ExtensionCache.Extension.Failures;

namespace ExtensionCache.Cli;

/// <summary>Runs a verb: every failure the user can act on becomes one message on stderr and its exit code, never a stack trace.</summary>
public static class Cli
{
    public static Task<int> RunAsync(Func<Task> action) => RunAsync(async () =>
    {
        await action().ConfigureAwait(false);
        return ExitCodes.Ok;
    });

    public static async Task<int> RunAsync(Func<Task<int>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (CliException ex)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            return ex.ExitCode;
        }
        catch (PackRefusedException ex)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Refused;
        }
        catch (BundleException ex)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message} [{FailureKinds.ErrorType(ex.Kind)}]").ConfigureAwait(false);
            return ExitCodes.Refused;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("cancelled; nothing was written").ConfigureAwait(false);
            return ExitCodes.Cancelled;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.BadInput;
        }
    }

    /// <summary>The <c>--mtime</c> value, else <c>SOURCE_DATE_EPOCH</c>, else none (mtimes kept from the tree).</summary>
    public static long? Mtime(long? option)
    {
        if (option is not null)
        {
            return option;
        }

        var text = Environment.GetEnvironmentVariable(Packer.SourceDateEpochVariable);
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        return long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var epoch)
            ? epoch
            : throw new CliException($"{Packer.SourceDateEpochVariable}='{text}' is not a unix time; expected whole seconds since 1970");
    }
}
