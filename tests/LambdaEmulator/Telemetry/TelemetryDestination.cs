using System.Net;
using LambdaEmulator.Api;

namespace LambdaEmulator.Telemetry;

/// <summary>
/// The destination of a Telemetry or Logs API subscription: an HTTP listener inside the sandbox, named
/// http://sandbox.localdomain:PORT/PATH. Lambda answers 400 ValidationError to a destination it cannot deliver to;
/// so does the emulator (e.g. for 0.0.0.0, a bind address, never a place to send to).
/// </summary>
public static class TelemetryDestination
{
    /// <summary>The URI to deliver to, or the ValidationError message.</summary>
    public static (Uri? Uri, string? Error) Validate(TelemetryDestinationRequest? destination)
    {
        const string Expected = "destination must be {\"protocol\":\"HTTP\",\"URI\":\"http://sandbox.localdomain:PORT/PATH\"}";
        if (destination is not { Protocol: "HTTP", Uri: { } text }
            || !Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp)
        {
            return (null, Expected);
        }

        if (uri.IsDefaultPort && !text.Contains($":{uri.Port}", StringComparison.Ordinal))
        {
            // Lambda's own message for a URI without a port.
            return (null, "URI port is not provided");
        }

        if (IPAddress.TryParse(uri.DnsSafeHost, out var address) && (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)))
        {
            return (null, $"URI host {uri.Host} is a bind address, not a destination; {Expected}");
        }

        return (uri, null);
    }
}
