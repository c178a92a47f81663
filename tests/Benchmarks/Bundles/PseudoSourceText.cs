using System.Text;

namespace ExtensionCache.Benchmarks.Bundles;

/// <summary>
/// A deterministic pool of JavaScript-looking text: files are slices of it, so their content compresses like
/// real source (roughly 4:1 with deflate) without generating every byte one token at a time.
/// </summary>
public sealed class PseudoSourceText
{
    private static readonly string[] Words =
    [
        "function", "return", "const", "let", "var", "if", "else", "for", "while", "this", "new", "typeof",
        "undefined", "null", "true", "false", "require", "module", "exports", "async", "await", "Promise",
        "resolve", "reject", "callback", "options", "value", "key", "index", "length", "array", "object",
        "string", "number", "result", "error", "throw", "catch", "try", "prototype", "call", "apply", "bind",
        "arguments", "default", "props", "state", "path", "buffer", "stream", "encoding", "utf8", "push",
        "slice", "map", "filter", "reduce", "forEach", "keys", "assign", "create", "defineProperty", "get",
        "set", "has", "emit", "listener", "handler", "config", "parse", "stringify", "JSON", "Object",
    ];

    private static readonly string[] Punctuation = ["(", ")", "{", "}", ";", ",", ".", " = ", " === ", " && ", " || ", "[", "]", ": "];

    private readonly byte[] _pool;

    public PseudoSourceText(int seed, int poolBytes)
    {
        var random = new Random(seed);
        var builder = new StringBuilder(poolBytes + 256);
        var indent = 0;
        while (builder.Length < poolBytes)
        {
            builder.Append(' ', indent * 2);
            var tokens = random.Next(3, 14);
            for (var i = 0; i < tokens; i++)
            {
                var word = Words[random.Next(Words.Length)];
                builder.Append(random.Next(5) == 0 ? word + random.Next(1000) : word);
                builder.Append(random.Next(3) == 0 ? Punctuation[random.Next(Punctuation.Length)] : " ");
            }

            builder.Append(random.Next(4) == 0 ? " {\n" : ";\n");
            indent = Math.Clamp(indent + random.Next(-1, 2), 0, 6);
        }

        _pool = Encoding.ASCII.GetBytes(builder.ToString(0, poolBytes));
    }

    /// <summary>A slice of <paramref name="length"/> bytes starting at a position drawn from <paramref name="random"/>.</summary>
    public ReadOnlyMemory<byte> Slice(Random random, int length)
    {
        length = Math.Min(length, _pool.Length);
        var start = random.Next(_pool.Length - length + 1);
        return _pool.AsMemory(start, length);
    }
}
