namespace ExtensionCache.IntegrationTests.Infrastructure;

/// <summary>
/// The Runtime API client the bash test runtimes share, spoken over bash's own <c>/dev/tcp</c> so an invoke forks
/// no process: <c>request METHOD PATH [BODY]</c> (one HTTP/1.0 exchange; the answer lands in <c>$answer</c>) and
/// <c>next_invocation</c> (waits for the next event; its request id lands in <c>$id</c>).
/// </summary>
public static class BashRuntimeApi
{
    private const string Functions = """
        host=${AWS_LAMBDA_RUNTIME_API%:*}
        port=${AWS_LAMBDA_RUNTIME_API##*:}
        path=/2018-06-01/runtime/invocation

        request() {
          local body=${3:-}
          exec 3<>"/dev/tcp/$host/$port" || exit 1
          printf '%s %s HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' "$1" "$2" "${#body}" "$body" >&3
          answer=""
          IFS= read -r -d '' answer <&3
          exec 3<&-
        }

        next_invocation() {
          request GET "$path/next"
          [[ $answer =~ [Ll]ambda-[Rr]untime-[Aa]ws-[Rr]equest-[Ii]d:\ *([0-9a-f-]+) ]] || exit 2
          id=${BASH_REMATCH[1]}
        }
        """;

    /// <summary>Replaces the line <c>@RUNTIME_API@</c> of <paramref name="script"/> with the shared functions.</summary>
    public static string Splice(string script)
    {
        ArgumentNullException.ThrowIfNull(script);
        return script.Replace("@RUNTIME_API@", Functions, StringComparison.Ordinal);
    }
}
