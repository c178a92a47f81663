using System.Text.Json;
using LambdaEmulator.Lifecycle;

namespace LambdaEmulator.Api;

/// <summary>Extensions API 2020-01-01.</summary>
public static class ExtensionsApiEndpoints
{
    public const string IdentifierHeader = "Lambda-Extension-Identifier";

    public static void Map(IEndpointRouteBuilder routes, LifecycleController lifecycle)
    {
        routes.MapPost("/2020-01-01/extension/register", async context =>
        {
            var name = context.Request.Headers["Lambda-Extension-Name"].FirstOrDefault();
            var features = context.Request.Headers["Lambda-Extension-Accept-Feature"].FirstOrDefault() ?? "";
            RegisterRequest? request;
            try
            {
                request = JsonSerializer.Deserialize(await ApiResults.ReadBodyAsync(context).ConfigureAwait(false), ApiJsonContext.Default.RegisterRequest);
            }
            catch (JsonException e)
            {
                await ApiResults.WriteErrorAsync(context, 400, "InvalidRequestFormat", e.Message).ConfigureAwait(false);
                return;
            }

            var result = lifecycle.Current.Register(name, request?.Events);
            if (result.Agent is not { } agent)
            {
                await ApiResults.WriteErrorAsync(context, result.StatusCode, result.ErrorType!, result.ErrorMessage!).ConfigureAwait(false);
                return;
            }

            context.Response.Headers[IdentifierHeader] = agent.Id;
            var withAccountId = features.Split(',').Any(f => f.Trim() == "accountId");
            await ApiResults.WriteJsonAsync(
                context, JsonSerializer.Serialize(lifecycle.RegisterResponseBody(withAccountId), ApiJsonContext.Default.RegisterResponse)).ConfigureAwait(false);
        });

        routes.MapGet("/2020-01-01/extension/event/next", async context =>
        {
            var state = lifecycle.Current;
            if (await FindAgentAsync(context, state).ConfigureAwait(false) is not { } agent)
            {
                return;
            }

            string json;
            try
            {
                json = await state.NextExtensionEventAsync(agent, context.RequestAborted).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            context.Response.Headers["Lambda-Extension-Event-Identifier"] = Guid.NewGuid().ToString();
            await ApiResults.WriteJsonAsync(context, json).ConfigureAwait(false);
        });

        routes.MapPost("/2020-01-01/extension/init/error", context => ReportErrorAsync(context, lifecycle, duringInit: true));
        routes.MapPost("/2020-01-01/extension/exit/error", context => ReportErrorAsync(context, lifecycle, duringInit: false));
    }

    public static async Task<ExtensionAgent?> FindAgentAsync(HttpContext context, LifecycleState state)
    {
        var id = context.Request.Headers[IdentifierHeader].FirstOrDefault();
        if (string.IsNullOrEmpty(id))
        {
            await ApiResults.WriteErrorAsync(context, 403, "Extension.MissingExtensionIdentifier", "Missing Lambda-Extension-Identifier header").ConfigureAwait(false);
            return null;
        }

        if (state.FindAgent(id) is not { } agent)
        {
            await ApiResults.WriteErrorAsync(context, 403, "Extension.UnknownExtensionIdentifier", $"Unknown extension identifier '{id}'").ConfigureAwait(false);
            return null;
        }

        return agent;
    }

    private static async Task ReportErrorAsync(HttpContext context, LifecycleController lifecycle, bool duringInit)
    {
        var state = lifecycle.Current;
        if (await FindAgentAsync(context, state).ConfigureAwait(false) is not { } agent)
        {
            return;
        }

        var errorType = context.Request.Headers["Lambda-Extension-Function-Error-Type"].FirstOrDefault();
        if (string.IsNullOrEmpty(errorType))
        {
            await ApiResults.WriteErrorAsync(context, 400, "InvalidRequestFormat", "Missing Lambda-Extension-Function-Error-Type header").ConfigureAwait(false);
            return;
        }

        var body = await ApiResults.ReadBodyAsync(context).ConfigureAwait(false);
        state.ReportExtensionError(agent, errorType, body, duringInit);
        context.Response.StatusCode = StatusCodes.Status202Accepted;
        await ApiResults.WriteJsonAsync(context, """{"status":"OK"}""").ConfigureAwait(false);
    }
}
