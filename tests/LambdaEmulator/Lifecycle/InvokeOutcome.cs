namespace LambdaEmulator.Lifecycle;

/// <summary>
/// The answer to one invoke, known as soon as the runtime posts it (or the invoke fails or times out): the body to
/// return and how it ended. Extensions may still be running when the caller gets it.
/// </summary>
public sealed record InvokeOutcome(string RequestId, PhaseStatus Status, string Body)
{
    public bool IsError => Status != PhaseStatus.Success;
}
