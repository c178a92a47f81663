namespace LambdaEmulator.Sandbox;

/// <summary>
/// The sandbox's /etc/hosts: the machine's entries plus <c>sandbox.localdomain</c> (and <c>sandbox</c>) → 127.0.0.1, the name Lambda gives
/// the execution environment (Telemetry and Logs API listeners bind it, subscriptions name it). The file lives in the
/// environment's folder and is bound over /etc/hosts inside bubblewrap's mount namespace; the machine's own
/// /etc/hosts is never written.
/// </summary>
public static class SandboxHosts
{
    public const string HostName = "sandbox.localdomain";

    /// <summary>The short name, which Lambda's resolver also answers (AWS's Logs API sample binds and subscribes with it).</summary>
    public const string ShortHostName = "sandbox";

    public static bool Names(string host) =>
        string.Equals(host, HostName, StringComparison.OrdinalIgnoreCase) || string.Equals(host, ShortHostName, StringComparison.OrdinalIgnoreCase);

    private const string MachineHosts = "/etc/hosts";

    /// <summary>Writes ROOT/hosts; null when the machine has no /etc/hosts to bind over (bwrap would create one).</summary>
    public static string? Write(string root)
    {
        if (!File.Exists(MachineHosts))
        {
            return null;
        }

        var path = Path.Combine(root, "hosts");
        var machine = File.ReadAllText(MachineHosts);
        var separator = machine.Length == 0 || machine.EndsWith('\n') ? "" : "\n";
        File.WriteAllText(path, $"{machine}{separator}127.0.0.1 {HostName} {ShortHostName}\n");
        return path;
    }
}
