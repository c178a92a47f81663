using System.Globalization;

namespace LambdaEmulator.Tests.Harness;

/// <summary>
/// For tests in which one invoke runs into the function timeout while the other invokes of the same environment must
/// finish within that same timeout: the hanging invoke never ends on its own, and the timeout leaves the others room
/// on a busy machine.
/// </summary>
internal static class TimedOutInvoke
{
    /// <summary>
    /// The <c>--timeout</c> under test. The invokes that must fit in it (an INIT after the reset plus a bash + curl
    /// invoke) take 0.1-0.4 s with four busy processes on 2 cores; 10 s is 25 times that, and it is also what the
    /// timed-out invoke costs the test.
    /// </summary>
    public const int TimeoutSeconds = 10;

    /// <summary>A runtime handler snippet (with <c>$EVENT</c> set) that never answers an event containing <c>hang</c>.</summary>
    public const string HangHandler = """if [[ "$EVENT" == *hang* ]]; then sleep infinity; fi""";

    /// <summary><see cref="TimeoutSeconds"/> as the <c>--timeout</c> value.</summary>
    public static string Argument => TimeoutSeconds.ToString(CultureInfo.InvariantCulture);

    /// <summary>The figure of the <c>Task timed out after … seconds</c> message, as Lambda prints it.</summary>
    public static string Seconds => TimeoutSeconds.ToString("0.00", CultureInfo.InvariantCulture);
}
