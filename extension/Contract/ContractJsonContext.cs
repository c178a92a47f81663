using System.Text.Json.Serialization;

namespace ExtensionCache.Contract;

/// <summary>
/// The JSON of the manifest and status files, source-generated (Native AOT needs no reflection): camelCase names,
/// every field written (null included), indented for people reading the files, names matched case-insensitively.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(BundleManifest))]
[JsonSerializable(typeof(BundleStatus))]
internal sealed partial class ContractJsonContext : JsonSerializerContext;
