namespace LambdaEmulator.Tests.Harness;

/// <summary>
/// Extensions and runtimes as bash + curl scripts, the way AWS's custom runtime tutorial writes them.
/// Hooks are bash snippets spliced in; every line a script prints lands in the emulator's stdout.
/// </summary>
internal static class Scripts
{
    private const string ExtensionTemplate = """
        #!/bin/bash
        NAME=$(basename "$0")
        API="http://${AWS_LAMBDA_RUNTIME_API}/2020-01-01/extension"
        __BEFORE__
        HEADERS=$(mktemp)
        BODY=$(curl -sS -D "$HEADERS" -X POST "$API/register" -H "Lambda-Extension-Name: __NAME__" -d '__BODY__')
        CODE=$(head -1 "$HEADERS" | cut -d' ' -f2)
        ID=$(grep -Fi Lambda-Extension-Identifier "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
        rm -f "$HEADERS"
        echo "[$NAME] register $CODE $BODY"
        [ "$CODE" = 200 ] || exit 1
        __AFTER__
        while true; do
          EVENT=$(curl -sS "$API/event/next" -H "Lambda-Extension-Identifier: $ID")
          echo "[$NAME] event $EVENT"
          case "$EVENT" in
            *SHUTDOWN*) __SHUTDOWN__; exit 0 ;;
            *) __INVOKE__ ;;
          esac
        done
        """;

    private const string RuntimeTemplate = """
        #!/bin/bash
        API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
        __INIT__
        while true; do
          HEADERS=$(mktemp)
          EVENT=$(curl -sS -LD "$HEADERS" "$API/invocation/next")
          REQUEST_ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
          RESPONSE="{\"echo\":$EVENT}"
          __HANDLER__
          rm -f "$HEADERS"
          curl -sS -o /dev/null -X POST "$API/invocation/$REQUEST_ID/response" -d "$RESPONSE"
        done
        """;

    public static string Extension(
        string events = """["INVOKE","SHUTDOWN"]""", string beforeRegister = ":", string afterRegister = ":",
        string onInvoke = ":", string onShutdown = ":", string name = "$NAME") =>
        ExtensionTemplate
            .Replace("__BEFORE__", beforeRegister, StringComparison.Ordinal)
            .Replace("__NAME__", name, StringComparison.Ordinal)
            .Replace("__BODY__", $$"""{"events":{{events}}}""", StringComparison.Ordinal)
            .Replace("__AFTER__", afterRegister, StringComparison.Ordinal)
            .Replace("__SHUTDOWN__", onShutdown, StringComparison.Ordinal)
            .Replace("__INVOKE__", onInvoke, StringComparison.Ordinal);

    public static string Runtime(string init = ":", string handler = ":") =>
        RuntimeTemplate
            .Replace("__INIT__", init, StringComparison.Ordinal)
            .Replace("__HANDLER__", handler, StringComparison.Ordinal);
}
