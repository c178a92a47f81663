using System.Globalization;

namespace ExtensionCache.IntegrationTests.Infrastructure;

/// <summary>The open file descriptors of a live process: what each entry of <c>/proc/&lt;pid&gt;/fd</c> points at.</summary>
public static class OpenFiles
{
    /// <summary>
    /// Targets in descriptor order (<c>pipe:[…]</c>, <c>socket:[…]</c>, <c>anon_inode:[eventpoll]</c>, a path), after
    /// checking the pid still runs the expected program (<c>/proc/&lt;pid&gt;/comm</c>).
    /// </summary>
    public static IReadOnlyList<string> Of(int pid, string expectedCommand)
    {
        var proc = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}";
        var command = File.Exists($"{proc}/comm") ? File.ReadAllText($"{proc}/comm").Trim() : null;
        if (command != expectedCommand)
        {
            throw new InvalidOperationException($"pid {pid} is {(command is null ? "gone" : $"'{command}'")}, not '{expectedCommand}'");
        }

        return [.. new DirectoryInfo($"{proc}/fd").EnumerateFileSystemInfos()
            .OrderBy(fd => int.Parse(fd.Name, CultureInfo.InvariantCulture))
            .Select(fd => fd.LinkTarget ?? "?")];
    }
}
