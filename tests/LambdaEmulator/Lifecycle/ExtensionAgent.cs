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

    /// <summary>How many times it called event/next (guarded by the state's lock).</summary>
    internal long NextCalls { get; set; }

    /// <summary>How many events were queued for it (guarded by the state's lock); event k is read by next call k + 1.</summary>
    internal long EventsQueued { get; set; }

    /// <summary>The error type it reported through init/error or exit/error, if any.</summary>
    internal string? ReportedError { get; set; }

    /// <summary>Done with event <paramref name="index"/>: it called next again after the call that read it.</summary>
    internal bool IsDoneWith(long index) => NextCalls >= index + 2;

    /// <summary>Queues an event and returns its index (caller holds the state's lock).</summary>
    internal long Enqueue(string eventJson)
    {
        Queue.Writer.TryWrite(eventJson);
        return EventsQueued++;
    }
}
