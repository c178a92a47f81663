namespace SampleFunction.Runtime;

/// <summary>A handler with the shape the managed dotnet runtime also accepts: a stream in, a stream out.</summary>
public interface IStreamHandler
{
    Task<Stream> HandleAsync(Stream input);
}
