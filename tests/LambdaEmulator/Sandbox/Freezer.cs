namespace LambdaEmulator.Sandbox;

/// <summary>Freezes the whole sandbox between invokes, as Lambda does, by stopping every process group.</summary>
public sealed class Freezer(bool enabled)
{
    public void Freeze(IEnumerable<SandboxProcess> processes)
    {
        if (!enabled)
        {
            return;
        }

        foreach (var process in processes)
        {
            process.Signal(ProcessGroupSignals.SigStop);
        }
    }

    /// <summary>Always thaws, even when freezing is off: SIGCONT on a running process is harmless.</summary>
    public void Thaw(IEnumerable<SandboxProcess> processes)
    {
        foreach (var process in processes)
        {
            process.Signal(ProcessGroupSignals.SigCont);
        }
    }
}
