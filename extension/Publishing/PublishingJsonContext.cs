using System.Text.Json.Serialization;

namespace ExtensionCache.Extension.Publishing;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(BundleManifest))]
[JsonSerializable(typeof(BundleStatus))]
public sealed partial class PublishingJsonContext : JsonSerializerContext;
