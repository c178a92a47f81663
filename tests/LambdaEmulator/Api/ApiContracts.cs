using System.Text.Json.Serialization;

namespace LambdaEmulator.Api;

/// <summary>Body of POST /2020-01-01/extension/register.</summary>
public sealed record RegisterRequest(IReadOnlyList<string>? Events);

/// <summary>Answer to a successful registration.</summary>
public sealed record RegisterResponse(
    string FunctionName,
    string FunctionVersion,
    string Handler,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? AccountId);

/// <summary>Error body of the Lambda APIs.</summary>
public sealed record ErrorResponse(string ErrorMessage, string ErrorType);

/// <summary>X-Ray tracing of an INVOKE event.</summary>
public sealed record TracingHeader(string Type, string Value);

/// <summary>The INVOKE event an extension receives from event/next.</summary>
public sealed record InvokeEvent(string EventType, long DeadlineMs, string RequestId, string InvokedFunctionArn, TracingHeader Tracing);

/// <summary>The SHUTDOWN event an extension receives from event/next.</summary>
public sealed record ShutdownEvent(string EventType, string ShutdownReason, long DeadlineMs);

/// <summary>Buffering part of a Telemetry API subscription.</summary>
public sealed record TelemetryBufferingRequest(int? MaxItems, int? MaxBytes, int? TimeoutMs);

/// <summary>Destination part of a Telemetry API subscription.</summary>
public sealed record TelemetryDestinationRequest(string? Protocol, [property: JsonPropertyName("URI")] string? Uri);

/// <summary>Body of PUT /2022-07-01/telemetry.</summary>
public sealed record TelemetrySubscribeRequest(
    string? SchemaVersion, IReadOnlyList<string>? Types, TelemetryBufferingRequest? Buffering, TelemetryDestinationRequest? Destination);

/// <summary>The container credentials endpoint's answer (the field names Lambda and ECS use).</summary>
public sealed record CredentialsResponse(
    [property: JsonPropertyName("AccessKeyId")] string AccessKeyId,
    [property: JsonPropertyName("SecretAccessKey")] string SecretAccessKey,
    [property: JsonPropertyName("Token")] string Token,
    [property: JsonPropertyName("Expiration")] string Expiration);
