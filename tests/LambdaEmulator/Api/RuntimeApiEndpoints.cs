using System.Globalization;
using LambdaEmulator.Lifecycle;
using LambdaEmulator.Logs;

namespace LambdaEmulator.Api;

/// <summary>Runtime API 2018-06-01.</summary>
public static partial class RuntimeApiEndpoints
{
    private const string ErrorTypeHeader = "Lambda-Runtime-Function-Error-Type";

    public static void Map(IEndpointRouteBuilder routes, LifecycleController lifecycle, LambdaLog log)
    {
        routes.MapGet("/2018-06-01/runtime/invocation/next", async context =>
        {
            Invocation invocation;
            try
            {
                invocation = await lifecycle.Current.NextInvocationAsync(context.RequestAborted).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var headers = context.Response.Headers;
            headers["Lambda-Runtime-Aws-Request-Id"] = invocation.RequestId;
            headers["Lambda-Runtime-Deadline-Ms"] = invocation.DeadlineMs.ToString(CultureInfo.InvariantCulture);
            headers["Lambda-Runtime-Invoked-Function-Arn"] = invocation.InvokedFunctionArn;
            headers["Lambda-Runtime-Trace-Id"] = invocation.TraceId;
            await ApiResults.WriteJsonAsync(context, invocation.Payload).ConfigureAwait(false);
        });

        routes.MapPost("/2018-06-01/runtime/invocation/{requestId}/response", async context =>
        {
            var body = await ApiResults.ReadBodyAsync(context).ConfigureAwait(false);
            if (StreamedResponseError.From(context.Request) is { } streamedError)
            {
                log.Debug($"RequestId: {context.Request.RouteValues["requestId"]} streamed {body.Length} characters, then reported " +
                    $"{streamedError.ErrorType} in trailers; streamed part: {Shorten(body)}");
                await AnswerAsync(context, lifecycle, streamedError).ConfigureAwait(false);
                return;
            }

            await AnswerAsync(context, lifecycle, new InvocationAnswer(false, body, null)).ConfigureAwait(false);
        });

        routes.MapPost("/2018-06-01/runtime/invocation/{requestId}/error", async context =>
        {
            var body = await ApiResults.ReadBodyAsync(context).ConfigureAwait(false);
            var errorType = context.Request.Headers[ErrorTypeHeader].FirstOrDefault() ?? "Unhandled";
            await AnswerAsync(context, lifecycle, new InvocationAnswer(true, body, errorType)).ConfigureAwait(false);
        });

        if (lifecycle.IsSnapStart)
        {
            // As Lambda's Runtime API server, only for SnapStart (elsewhere: 404).
            routes.MapGet("/2018-06-01/runtime/restore/next", async context =>
            {
                bool restored;
                try
                {
                    restored = await lifecycle.Current.WaitForRestoreAsync(context.RequestAborted).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                if (!restored)
                {
                    await ApiResults.WriteErrorAsync(context, 403, "InvalidStateTransition", "restore/next is called once, after init and before the restore").ConfigureAwait(false);
                    return;
                }

                context.Response.StatusCode = StatusCodes.Status200OK;
                await ApiResults.WriteJsonAsync(context, "{}").ConfigureAwait(false);
            });

            routes.MapPost("/2018-06-01/runtime/restore/error", async context =>
            {
                var body = await ApiResults.ReadBodyAsync(context).ConfigureAwait(false);
                lifecycle.Current.ReportRestoreError(RuntimeOrFunctionErrorType(context.Request.Headers[ErrorTypeHeader].FirstOrDefault()), body);
                context.Response.StatusCode = StatusCodes.Status202Accepted;
                await ApiResults.WriteJsonAsync(context, """{"status":"OK"}""").ConfigureAwait(false);
            });
        }

        routes.MapPost("/2018-06-01/runtime/init/error", async context =>
        {
            var body = await ApiResults.ReadBodyAsync(context).ConfigureAwait(false);
            var errorType = context.Request.Headers[ErrorTypeHeader].FirstOrDefault() ?? "Runtime.Unknown";
            lifecycle.Current.ReportRuntimeInitError(errorType, body);
            context.Response.StatusCode = StatusCodes.Status202Accepted;
            await ApiResults.WriteJsonAsync(context, """{"status":"OK"}""").ConfigureAwait(false);
        });
    }

    /// <summary>Lambda keeps an error type of the form Runtime.Name or Function.Name, else reports Runtime.Unknown (Function.Unknown for Function.*).</summary>
    private static string RuntimeOrFunctionErrorType(string? header) =>
        header is not null && RuntimeOrFunctionError().IsMatch(header) ? header
        : header?.StartsWith("Function.", StringComparison.Ordinal) == true ? "Function.Unknown"
        : "Runtime.Unknown";

    [System.Text.RegularExpressions.GeneratedRegex(@"^(Runtime|Function)\.[A-Z][a-zA-Z]+")]
    private static partial System.Text.RegularExpressions.Regex RuntimeOrFunctionError();

    private static string Shorten(string text) => (text.Length > 1_000 ? text[..1_000] + "..." : text).ReplaceLineEndings(" ");

    private static Task AnswerAsync(HttpContext context, LifecycleController lifecycle, InvocationAnswer answer)
    {
        var requestId = (string)context.Request.RouteValues["requestId"]!;
        if (!lifecycle.Current.Answer(requestId, answer))
        {
            return ApiResults.WriteErrorAsync(context, 400, "InvalidRequestID", $"Invalid request ID: '{requestId}'");
        }

        context.Response.StatusCode = StatusCodes.Status202Accepted;
        return ApiResults.WriteJsonAsync(context, """{"status":"OK"}""");
    }
}
