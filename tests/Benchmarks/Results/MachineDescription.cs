using System.Globalization;
using System.Runtime.InteropServices;

namespace ExtensionCache.Benchmarks.Results;

/// <summary>The machine a run happened on, as results.md prints it.</summary>
public sealed record MachineDescription(int Cores, string Cpu, string Memory, string Kernel, string Runtime, string LoadAverage)
{
    public static MachineDescription Read() => new(
        Environment.ProcessorCount,
        ProcLine("/proc/cpuinfo", "model name") ?? "unknown",
        ProcLine("/proc/meminfo", "MemTotal") is { } mem ? $"{long.Parse(mem.Split(' ')[0], CultureInfo.InvariantCulture) / 1024 / 1024.0:0.0} GiB" : "unknown",
        ReadOrUnknown("/proc/sys/kernel/osrelease"),
        RuntimeInformation.FrameworkDescription,
        LoadNow());

    public static string LoadNow() => string.Join(' ', ReadOrUnknown("/proc/loadavg").Split(' ').Take(3));

    private static string? ProcLine(string path, string key) => File.Exists(path)
        ? File.ReadLines(path).Where(l => l.StartsWith(key, StringComparison.Ordinal)).Select(l => l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim()).FirstOrDefault()
        : null;

    private static string ReadOrUnknown(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : "unknown";
}
