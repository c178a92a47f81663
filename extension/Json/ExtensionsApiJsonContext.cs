using System.Text.Json.Serialization;

namespace ExtensionCache.Extension.Json;

/// <summary>Source-generated (AOT-safe) JSON for the Extensions API. Reading is case-insensitive and lenient.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true,
    NumberHandling = JsonNumberHandling.AllowReadingFromString,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RegisterRequest))]
[JsonSerializable(typeof(RegisterResponse))]
[JsonSerializable(typeof(EventResponse))]
[JsonSerializable(typeof(ErrorRequest))]
internal sealed partial class ExtensionsApiJsonContext : JsonSerializerContext;
