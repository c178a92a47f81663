namespace SampleFunction.Serialization;

/// <summary>
/// What the function answers: enough for a test to prove the code came from the bundle and that warm invokes
/// reuse the same process and assembly.
/// </summary>
public sealed record SampleResponse(
    string Greeting,
    string AssemblyLocation,
    string BundlePath,
    bool BundleReused,
    ManifestSummary Manifest,
    int InvocationCount,
    int Pid);
