using System.Text.Json.Serialization;

namespace ExtensionCache.Client.Model;

/// <summary>Source-generated (AOT-safe) JSON for the files the extension writes.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(BundleManifest))]
[JsonSerializable(typeof(BundleStatus))]
internal sealed partial class ClientJsonContext : JsonSerializerContext;
