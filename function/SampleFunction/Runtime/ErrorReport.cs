namespace SampleFunction.Runtime;

/// <summary>The body Lambda expects on the error endpoints.</summary>
public sealed record ErrorReport(string ErrorMessage, string ErrorType, IReadOnlyList<string> StackTrace)
{
    public static ErrorReport From(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var stack = exception.StackTrace?.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        return new ErrorReport(exception.Message, exception.GetType().Name, stack);
    }
}
