namespace ExtensionCache.Extension.Configuration;

/// <summary>
/// How refreshes run once INIT is over. <paramref name="InvokeWait"/> is how long, at most, the extension keeps
/// working on a due check after an INVOKE before it calls <c>next</c> again (that time is billed when it outlasts
/// the function's own work); whatever is left continues in the background and, on demand, after the next thaw.
/// <paramref name="Metrics"/> turns the Embedded Metric Format lines on or off. <paramref name="ManagedInstances"/>
/// is true on Lambda Managed Instances, where INVOKE cannot be registered and a timer drives the checks.
/// </summary>
public sealed record RefreshOptions(TimeSpan InvokeWait, bool Metrics, bool ManagedInstances);
