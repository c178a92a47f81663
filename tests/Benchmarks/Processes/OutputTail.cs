using System.Text;

namespace ExtensionCache.Benchmarks.Processes;

/// <summary>Keeps the last lines a child process printed, bounded, to show when something fails.</summary>
public sealed class OutputTail(int maxChars = 16_000)
{
    private readonly StringBuilder _text = new();
    private readonly Lock _gate = new();

    public void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _text.AppendLine(line);
            if (_text.Length > maxChars)
            {
                _text.Remove(0, _text.Length - maxChars);
            }
        }
    }

    public override string ToString()
    {
        lock (_gate)
        {
            return _text.ToString();
        }
    }
}
