namespace ExtensionCache.Extension.Configuration;

/// <summary>
/// How refreshes run once INIT is over. <paramref name="InvokeWait"/> is how long, at most, the extension keeps
/// working on a due check after an INVOKE before it calls <c>next</c> again (that time is billed when it outlasts
/// the function's own work); whatever is left continues in the background and, on demand, after the next thaw.
/// The period of each bundle is its own (<see cref="BundleSpec.RefreshSeconds"/>).
/// </summary>
public sealed record RefreshOptions(TimeSpan InvokeWait);
