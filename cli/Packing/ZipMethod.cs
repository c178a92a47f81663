namespace ExtensionCache.Cli.Packing;

/// <summary>
/// <c>pack --method</c>: how a zip's files are compressed. Every choice stores symlinks and empty files.
/// <list type="bullet">
/// <item><see cref="Auto"/> (the default, measured fastest to publish, see docs/cli.md): per file, stored when its
/// type is already compressed (<see cref="CompressionChoice"/>) or zstd saves under 5 %, else zstd; a file over
/// <see cref="ZipPacker.InMemoryBytes"/> is always zstd (its incompressible parts stay raw blocks, at their size).</item>
/// <item><see cref="Zstd"/>: zstd for every file, incompressible ones too (zstd keeps them in raw blocks), so the
/// archive uses one method throughout.</item>
/// <item><see cref="Deflate"/>: per file, stored when its type is already compressed or deflating a 64 KiB probe of
/// it saves under 5 %, else deflate: what every zip tool opens.</item>
/// <item><see cref="Store"/>: nothing compressed.</item>
/// </list>
/// zstd content is written by <see cref="ZipZstdEncoder"/>: a file larger than one frame as independent frames with a seek table.
/// </summary>
public enum ZipMethod
{
    Auto,
    Zstd,
    Deflate,
    Store,
}

/// <summary>The names of <see cref="ZipMethod"/> on the command line.</summary>
public static class ZipMethods
{
    public static readonly string[] Names = ["auto", "zstd", "deflate", "store"];

    public static ZipMethod Parse(string? name) => name switch
    {
        null or "auto" => ZipMethod.Auto,
        "zstd" => ZipMethod.Zstd,
        "deflate" => ZipMethod.Deflate,
        "store" => ZipMethod.Store,
        _ => throw new CliException($"--method '{name}' is not a method; expected {string.Join(", ", Names)}"),
    };
}
