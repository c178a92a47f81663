using System.Text.Json.Serialization;

namespace LambdaEmulator.Api;

/// <summary>Source-generated JSON for every body the emulator reads or writes.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(RegisterRequest))]
[JsonSerializable(typeof(RegisterResponse))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(InvokeEvent))]
[JsonSerializable(typeof(ShutdownEvent))]
[JsonSerializable(typeof(TelemetrySubscribeRequest))]
[JsonSerializable(typeof(CredentialsResponse))]
public sealed partial class ApiJsonContext : JsonSerializerContext;
