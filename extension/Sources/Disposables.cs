namespace ExtensionCache.Extension.Sources;

/// <summary>Disposes several owned objects together, in order.</summary>
public sealed class Disposables(params IDisposable[] items) : IDisposable
{
    public void Dispose()
    {
        foreach (var item in items)
        {
            item.Dispose();
        }
    }
}
