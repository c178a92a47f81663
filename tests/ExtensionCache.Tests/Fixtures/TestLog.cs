using ExtensionCache.Extension.Logging;

namespace ExtensionCache.Tests.Fixtures;

/// <summary>A real LifecycleLog writing into memory, so tests can read the lines it wrote while it writes more.</summary>
public sealed class TestLog
{
    private readonly LockedStringWriter _output = new();

    public TestLog()
    {
        Log = new LifecycleLog(_output, json: false, LogLevel.Debug);
    }

    public LifecycleLog Log { get; }

    public string Text => _output.ToString();

    /// <summary>A StringWriter whose writes and reads take one lock: a test reads the log while the code under test writes it.</summary>
    private sealed class LockedStringWriter : StringWriter
    {
        private readonly Lock _gate = new();

        public override void Write(char value)
        {
            lock (_gate)
            {
                base.Write(value);
            }
        }

        public override void Write(string? value)
        {
            lock (_gate)
            {
                base.Write(value);
            }
        }

        public override void Write(char[] buffer, int index, int count)
        {
            lock (_gate)
            {
                base.Write(buffer, index, count);
            }
        }

        public override void WriteLine(string? value)
        {
            lock (_gate)
            {
                base.WriteLine(value);
            }
        }

        public override string ToString()
        {
            lock (_gate)
            {
                return base.ToString();
            }
        }
    }
}
