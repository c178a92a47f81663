using System.Threading.Channels;

namespace LambdaEmulator.Lifecycle;

/// <summary>A registered extension: its identifier, the events it asked for and its queue of events.</summary>
public sealed class ExtensionAgent(string name, IReadOnlyList<string> events)
{
    public string Id { get; } = Guid.NewGuid().ToString();

    public string Name { get; } = name;

    public IReadOnlyList<string> Events { get; } = events;

    public bool WantsInvoke => Events.Contains("INVOKE");

    public bool WantsShutdown => Events.Contains("SHUTDOWN");

    internal Channel<string> Queue { get; } = Channel.CreateUnbounded<string>();

    /// <summary>True while the extension waits in event/next (guarded by the state's lock).</summary>
    internal bool WaitingNext { get; set; }

    /// <summary>The error type it reported through init/error or exit/error, if any.</summary>
    internal string? ReportedError { get; set; }
}
