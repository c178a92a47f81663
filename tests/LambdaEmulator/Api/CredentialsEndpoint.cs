using System.Globalization;
using System.Text.Json;
using LambdaEmulator.Lifecycle;

namespace LambdaEmulator.Api;

/// <summary>
/// The container credentials endpoint of SnapStart mode, on the API listener at <see cref="CredentialSessions.Path"/>
/// (Lambda's Runtime API server serves it on its own address too): the <c>Authorization</c> header must carry the
/// token given in <c>AWS_CONTAINER_AUTHORIZATION_TOKEN</c>, else 404 with Lambda's message.
/// </summary>
public static class CredentialsEndpoint
{
    public static void Map(IEndpointRouteBuilder routes, CredentialSessions sessions)
    {
        routes.MapGet(CredentialSessions.Path, async context =>
        {
            if (context.Request.Headers.Authorization.ToString() != sessions.AuthorizationToken)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync("cannot get credentials for the provided token\n", context.RequestAborted).ConfigureAwait(false);
                return;
            }

            var session = sessions.Serve();
            var body = new CredentialsResponse(
                session.AccessKeyId,
                session.SecretAccessKey,
                session.Token,
                session.Expires.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            await ApiResults.WriteJsonAsync(context, JsonSerializer.Serialize(body, ApiJsonContext.Default.CredentialsResponse)).ConfigureAwait(false);
        });
    }
}
