namespace ExtensionCache.IntegrationTests.Infrastructure;

/// <summary>
/// A custom runtime shaped like Python's on Lambda Managed Instances: it starts several worker processes (bash
/// subshells), each looping on <c>runtime/invocation/next</c>. Every invoke reads files from the published bundle:
/// it answers with its request id, its worker number and pid, the sha256 the bundle's manifest declares and the
/// sha256 of <c>Greeter.dll</c> as read from the bundle, or a <c>Bundle.Missing</c> error. Each worker prints
/// "[worker N] calling next" before its first next and "[worker N] first invoke" when it gets one. No temp files:
/// the sandbox's /tmp holds only what the extension put there.
/// </summary>
public static class WorkerProcessesRuntime
{
    /// <summary>Writes <c>bootstrap</c> (mode 0755) into a new function folder and returns the folder.</summary>
    public static string Write(string folder, string bundle, int workers) =>
        BootstrapFile.Write(folder, Script
            .Replace("@BUNDLE@", bundle, StringComparison.Ordinal)
            .Replace("@WORKERS@", workers.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));

    private const string Script = """
        #!/bin/bash
        # Several worker processes, each on its own next loop, reading the published bundle at every invoke.
        set -u
        API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
        BUNDLE="${TMPDIR:-/tmp}/extension-cache/@BUNDLE@"

        worker() {
          local first=1 answer id manifest greeter
          echo "[worker $1] calling next"
          while true; do
            answer=$(curl -sS -i "$API/invocation/next" | tr -d '\r')
            [[ $answer =~ [Ll]ambda-[Rr]untime-[Aa]ws-[Rr]equest-[Ii]d:\ *([0-9a-f-]+) ]] || exit 2
            id=${BASH_REMATCH[1]}
            if (( first )); then echo "[worker $1] first invoke $id"; first=0; fi
            manifest=""
            [[ -f "$BUNDLE/.extension-cache-manifest.json" ]] && manifest=$(<"$BUNDLE/.extension-cache-manifest.json")
            if [[ $manifest =~ \"sha256\":\ *\"([0-9a-f]{64})\" && -f "$BUNDLE/Greeter.dll" ]]; then
              greeter=$(sha256sum "$BUNDLE/Greeter.dll")
              curl -sS -o /dev/null -X POST "$API/invocation/$id/response" \
                -d "{\"requestId\":\"$id\",\"worker\":$1,\"pid\":$BASHPID,\"bundleSha256\":\"${BASH_REMATCH[1]}\",\"greeterSha256\":\"${greeter%% *}\"}"
            else
              curl -sS -o /dev/null -X POST "$API/invocation/$id/error" -H "Lambda-Runtime-Function-Error-Type: Bundle.Missing" \
                -d "{\"errorMessage\":\"no bundle at $BUNDLE\",\"errorType\":\"Bundle.Missing\"}"
            fi
          done
        }

        for n in $(seq 1 @WORKERS@); do worker "$n" & done
        echo "[runtime] started @WORKERS@ worker processes"
        wait

        """;
}
