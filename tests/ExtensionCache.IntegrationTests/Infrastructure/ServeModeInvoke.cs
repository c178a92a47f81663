namespace ExtensionCache.IntegrationTests.Infrastructure;

/// <summary>
/// The answer of one serve-mode invoke: the request id (<c>X-Amzn-RequestId</c>), the body, and whether the emulator
/// flagged it as a function error (<c>X-Amz-Function-Error</c>, as the Runtime Interface Emulator does).
/// </summary>
public sealed record ServeModeInvoke(string RequestId, string Body, bool IsError);
