namespace LambdaEmulator.Tests.Harness;

/// <summary>
/// A runtime that starts several workers, as Lambda Managed Instances runtimes do (Python: processes): each bash
/// worker loops on runtime/invocation/next and answers its own request id. While it handles an invoke a worker keeps
/// a marker file in the shared /tmp and answers how many markers it saw, i.e. how many invokes ran at once.
/// </summary>
internal static class WorkerRuntime
{
    private const string Template = """
        #!/bin/bash
        API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
        ACTIVE="${TMPDIR:-/tmp}/active-invokes"
        mkdir -p "$ACTIVE"
        worker() {
          while true; do
            HEADERS=$(mktemp)
            EVENT=$(curl -sS -D "$HEADERS" "$API/invocation/next")
            REQUEST_ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
            rm -f "$HEADERS"
            touch "$ACTIVE/$REQUEST_ID"
            __HANDLER__
            sleep 0.05
            COUNT=$(ls "$ACTIVE" | wc -l)
            rm -f "$ACTIVE/$REQUEST_ID"
            curl -sS -o /dev/null -X POST "$API/invocation/$REQUEST_ID/response" \
              -d "{\"requestId\":\"$REQUEST_ID\",\"worker\":$1,\"active\":$COUNT,\"event\":$EVENT}"
          done
        }
        for n in $(seq 1 __WORKERS__); do worker "$n" & done
        echo "[runtime] started __WORKERS__ workers"
        wait
        """;

    /// <summary>The bootstrap; <paramref name="handler"/> is a bash snippet run per invoke with $EVENT and $REQUEST_ID set.</summary>
    public static string Script(int workers, string handler = ":") =>
        Template
            .Replace("__WORKERS__", workers.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("__HANDLER__", handler, StringComparison.Ordinal);
}
