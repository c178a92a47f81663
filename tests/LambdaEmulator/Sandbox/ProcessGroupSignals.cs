using System.Runtime.InteropServices;

namespace LambdaEmulator.Sandbox;

/// <summary>kill(2) on a whole process group: .NET's Process API signals one process only.</summary>
public static partial class ProcessGroupSignals
{
    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigCont = 18;
    public const int SigStop = 19;

    /// <summary>Sends a signal to every process of the group; false when the group is gone.</summary>
    public static bool Send(int processGroup, int signal) => processGroup > 1 && Kill(-processGroup, signal) == 0;

    /// <summary>Sends a signal to every process of the group but one (found in /proc); false when none was signalled.</summary>
    public static bool SendToMembersExcept(int processGroup, int exceptPid, int signal)
    {
        var sent = false;
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), out var pid) || pid == exceptPid)
            {
                continue;
            }

            try
            {
                // Fields after the parenthesised command name: state ppid pgrp ...
                var stat = File.ReadAllText(Path.Combine(folder, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[2] == processGroup.ToString(System.Globalization.CultureInfo.InvariantCulture))
                {
                    sent |= Kill(pid, signal) == 0;
                }
            }
            catch (IOException)
            {
                // The process ended between listing and reading.
            }
        }

        return sent;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
