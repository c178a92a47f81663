using System.Globalization;
using ExtensionCache.Extension.Failures;

namespace ExtensionCache.Extension.Sources;

/// <summary>A bundle in the local file system (<c>file:///path</c>); its version is its size and mtime.</summary>
public sealed class FileBundleSource(string path) : IBundleSource
{
    public string DisplayName => "file://" + path;

    public Task<SourceInfo> ProbeAsync(CancellationToken ct)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new BundleException(FailureKind.BundleNotFound, $"file {path} not found");
        }

        var version = string.Create(
            CultureInfo.InvariantCulture,
            $"{info.Length}-{info.LastWriteTimeUtc.Ticks}");
        return Task.FromResult(new SourceInfo(info.Length, version, SupportsRanges: true, ReadOnlyMemory<byte>.Empty));
    }

    public Task<Stream> OpenRangeAsync(SourceInfo probed, long offset, long length, CancellationToken ct)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.Read,
                Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
                BufferSize = 0,
            });
        }
        catch (FileNotFoundException ex)
        {
            throw new BundleException(FailureKind.BundleNotFound, $"file {path} not found", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new BundleException(FailureKind.BundleAccessDenied, $"file {path} is not readable: {ex.Message}", ex);
        }

        stream.Position = offset;
        return Task.FromResult<Stream>(new BoundedReadStream(stream, length));
    }
}
