using System.Text.Json.Serialization;
using ExtensionCache.Benchmarks.Bundles;
using ExtensionCache.Benchmarks.ExtensionsApi;

namespace ExtensionCache.Benchmarks;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = false)]
[JsonSerializable(typeof(BundleMetadata))]
[JsonSerializable(typeof(RegisterResponse))]
[JsonSerializable(typeof(ShutdownEvent))]
internal sealed partial class BenchJsonContext : JsonSerializerContext;
