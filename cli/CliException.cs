namespace ExtensionCache.Cli;

/// <summary>A failure the user can act on: printed as one message (no stack trace) and exited with <see cref="ExitCode"/>.</summary>
public sealed class CliException(string message, int exitCode = ExitCodes.BadInput, Exception? inner = null) : Exception(message, inner)
{
    public int ExitCode => exitCode;
}
