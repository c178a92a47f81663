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

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
