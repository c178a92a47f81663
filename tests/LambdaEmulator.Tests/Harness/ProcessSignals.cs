using System.Runtime.InteropServices;

namespace LambdaEmulator.Tests.Harness;

/// <summary>kill(2) for the tests: SIGTERM to the emulator, SIGKILL to sandbox process groups left behind.</summary>
internal static partial class ProcessSignals
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    public static bool Send(int pid, int signal) => Kill(pid, signal) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
