using ExtensionCache.Extension.Logging;

namespace ExtensionCache.Tests.Fixtures;

/// <summary>A real LifecycleLog writing into memory, so tests can read the lines it wrote.</summary>
public sealed class TestLog
{
    private readonly StringWriter _output = new();

    public TestLog()
    {
        Log = new LifecycleLog(_output, json: false, LogLevel.Debug);
    }

    public LifecycleLog Log { get; }

    public string Text
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }
}
