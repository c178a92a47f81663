using System.Text.Json;

namespace LambdaEmulator.Api;

/// <summary>Writes the APIs' JSON answers.</summary>
public static class ApiResults
{
    public static Task WriteErrorAsync(HttpContext context, int statusCode, string errorType, string message)
    {
        context.Response.StatusCode = statusCode;
        return WriteJsonAsync(context, JsonSerializer.Serialize(new ErrorResponse(message, errorType), ApiJsonContext.Default.ErrorResponse));
    }

    public static Task WriteJsonAsync(HttpContext context, string json)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(json, context.RequestAborted);
    }

    public static async Task<string> ReadBodyAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        return await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
