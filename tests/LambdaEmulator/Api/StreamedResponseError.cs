using System.Text;
using System.Text.Json;
using LambdaEmulator.Lifecycle;

namespace LambdaEmulator.Api;

/// <summary>
/// An error a runtime reports after it started streaming a response (<c>Lambda-Runtime-Function-Response-Mode:
/// streaming</c>, chunked): HTTP trailers <c>Lambda-Runtime-Function-Error-Type</c> and
/// <c>Lambda-Runtime-Function-Error-Body</c> (base64). Lambda forwards that error to the caller; here the invoke's
/// answer becomes that error (type and decoded body), as if the runtime had posted it to /error.
/// </summary>
public static class StreamedResponseError
{
    public const string TypeTrailer = "Lambda-Runtime-Function-Error-Type";
    public const string BodyTrailer = "Lambda-Runtime-Function-Error-Body";

    /// <summary>The error answer when the request ended with an error-type trailer; null otherwise. Call after reading the body.</summary>
    public static InvocationAnswer? From(HttpRequest request)
    {
        if (!request.SupportsTrailers() || !request.CheckTrailersAvailable()
            || request.GetTrailer(TypeTrailer).FirstOrDefault() is not { Length: > 0 } errorType)
        {
            return null;
        }

        var body = Decode(request.GetTrailer(BodyTrailer).FirstOrDefault())
            ?? JsonSerializer.Serialize(
                new ErrorResponse($"The runtime reported {errorType} after streaming part of the response", errorType),
                ApiJsonContext.Default.ErrorResponse);
        return new InvocationAnswer(true, body, errorType);
    }

    /// <summary>The decoded body; null when it is missing, empty or not base64 (Lambda then keeps the type only).</summary>
    private static string? Decode(string? base64)
    {
        if (string.IsNullOrEmpty(base64))
        {
            return null;
        }

        var bytes = new byte[base64.Length];
        return Convert.TryFromBase64String(base64, bytes, out var written) && written > 0 ? Encoding.UTF8.GetString(bytes, 0, written) : null;
    }
}
