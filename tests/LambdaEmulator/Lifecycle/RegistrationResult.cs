namespace LambdaEmulator.Lifecycle;

/// <summary>Outcome of a register call: the agent, or the status code and error type Lambda answers with.</summary>
public sealed record RegistrationResult(ExtensionAgent? Agent, int StatusCode, string? ErrorType, string? ErrorMessage)
{
    public static RegistrationResult Rejected(int statusCode, string errorType, string message) => new(null, statusCode, errorType, message);
}
