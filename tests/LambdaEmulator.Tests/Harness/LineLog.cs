namespace LambdaEmulator.Tests.Harness;

/// <summary>Lines of one output stream, in arrival order, with a way to wait for a line (no polling).</summary>
internal sealed class LineLog
{
    private readonly Lock _gate = new();
    private readonly List<string> _lines = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _closed;

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_gate)
            {
                return [.. _lines];
            }
        }
    }

    public void Add(string? line)
    {
        lock (_gate)
        {
            if (line is null)
            {
                _closed = true;
            }
            else
            {
                _lines.Add(line);
            }

            _changed.TrySetResult();
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public async Task<string> WaitForAsync(Func<string, bool> match, TimeSpan timeout, string what)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        var seen = 0;
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                for (; seen < _lines.Count; seen++)
                {
                    if (match(_lines[seen]))
                    {
                        return _lines[seen];
                    }
                }

                if (_closed)
                {
                    throw new Xunit.Sdk.XunitException($"Output ended without {what}:\n{string.Join('\n', _lines)}");
                }

                changed = _changed.Task;
            }

            try
            {
                await changed.WaitAsync(cancellation.Token);
            }
            catch (OperationCanceledException)
            {
                throw new Xunit.Sdk.XunitException($"Timed out after {timeout} waiting for {what}:\n{string.Join('\n', Lines)}");
            }
        }
    }
}
