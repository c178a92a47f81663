namespace ExtensionCache.Extension.Lambda;

/// <summary>The events an extension can register for.</summary>
public enum ExtensionEventType
{
    Invoke,
    Shutdown,
}
