using System.Text.Json.Serialization;
using SampleFunction.Runtime;

namespace SampleFunction.Serialization;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(SampleRequest))]
[JsonSerializable(typeof(SampleResponse))]
[JsonSerializable(typeof(ErrorReport))]
internal sealed partial class SampleJsonContext : JsonSerializerContext;
