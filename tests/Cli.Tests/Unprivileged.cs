using System.Diagnostics;

namespace ExtensionCache.Cli.Tests;

/// <summary>
/// A command run without root's power to read every file, so that a test of an unreadable file asserts something
/// when the tests run as root (as CI runs them). As root the command runs under bubblewrap in a new user namespace,
/// as an ordinary uid with no capabilities: root's files look like the command's own there, and without
/// CAP_DAC_OVERRIDE a file of mode 000 cannot be opened (EACCES), as for any other user. As anyone else the command
/// runs as is.
/// </summary>
public static class Unprivileged
{
    public static ProcessStartInfo Wrap(ProcessStartInfo command)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            return command;
        }

        Assert.True(
            OnPath("bwrap"),
            "the tests run as root, so bubblewrap is needed to run the tool without root's power to read every file: "
            + "apt-get install -y bubblewrap (tests/setup.sh installs it)");

        // The whole machine stays visible as is (--dev-bind / /), so the tool, dotnet and the test's files keep their
        // paths. No new /proc: mounting one is refused in many containers, and the host's serves this process too.
        // No --die-with-parent: its signal follows the thread that started bwrap, and a pool thread that exits kills
        // bwrap mid-run; ChildProcess kills the whole tree itself.
        var wrapped = ChildProcess.Info(
            "bwrap",
            [
                "--unshare-user", "--uid", "1000", "--gid", "1000", "--cap-drop", "ALL",
                "--dev-bind", "/", "/", "--", command.FileName, .. command.ArgumentList,
            ]);
        wrapped.WorkingDirectory = command.WorkingDirectory;

        // bwrap hands its environment to the command unchanged. HOME may stay root's: `dotnet <dll>` writes nothing
        // there, and root's folders belong to the namespace's uid anyway.
        wrapped.Environment.Clear();
        foreach (var (name, value) in command.Environment)
        {
            wrapped.Environment[name] = value;
        }

        return wrapped;
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(folder => File.Exists(Path.Join(folder, program)));
}
