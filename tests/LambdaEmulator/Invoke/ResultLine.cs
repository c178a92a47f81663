using LambdaEmulator.Lifecycle;

namespace LambdaEmulator.Invoke;

/// <summary>
/// The emulator's one stdout line per invoke: "RESPONSE RequestId: id body" or "ERROR RequestId: id body",
/// the body on one line. Other projects' tests parse this form.
/// </summary>
public static class ResultLine
{
    public static string For(InvokeOutcome outcome)
    {
        var body = outcome.Body.ReplaceLineEndings(" ");
        return $"{(outcome.IsError ? "ERROR" : "RESPONSE")} RequestId: {outcome.RequestId} {body}";
    }
}
