namespace ExtensionCache.IntegrationTests.Infrastructure;

/// <summary>
/// A custom runtime in plain bash for the load test: it answers every invoke with the version (the object's ETag)
/// that the published bundle's manifest (<c>$TMPDIR/extension-cache/&lt;bundle&gt;/.extension-cache-manifest.json</c>) declares, or a
/// <c>Bundle.Missing</c> error when there is none, and exits (a runtime crash, after which Lambda resets the
/// sandbox and runs INIT again) when the payload contains <c>"crash"</c>. It speaks HTTP/1.0 over bash's own
/// <c>/dev/tcp</c>, so an invoke forks no process: thousands of invokes stay fast, and the sandbox's memory is
/// the extension's plus one bash.
/// </summary>
public static class ManifestEchoRuntime
{
    public const string CrashPayload = """{"crash":true}""";

    /// <summary>Writes <c>bootstrap</c> (mode 0755) into a new function folder and returns the folder.</summary>
    public static string Write(string folder, string bundle) =>
        BootstrapFile.Write(folder, BashRuntimeApi.Splice(Script).Replace("@BUNDLE@", bundle, StringComparison.Ordinal));

    private const string Script = """
        #!/bin/bash
        # Load-test runtime: answers with the published manifest's version (the object's ETag); a "crash" payload makes it exit.
        set -u
        manifest="${TMPDIR:-/tmp}/extension-cache/@BUNDLE@/.extension-cache-manifest.json"

        @RUNTIME_API@
        while true; do
          next_invocation
          payload=${answer#*$'\r\n\r\n'}
          if [[ $payload == *'"crash"'* ]]; then
            exit 3
          fi
          text=""
          if [[ -f $manifest ]]; then
            IFS= read -r -d '' text < "$manifest"
          fi
          # The version is the object's ETag, a JSON string holding escaped quotes (\u0022): keep its hex digits.
          version=""
          if [[ $text =~ \"version\":\ *\"([^,}]*)\" ]]; then
            version=${BASH_REMATCH[1]//\\u0022/}
            version=${version//[^0-9a-f]/}
          fi
          if [[ ${#version} -eq 32 ]]; then
            request POST "$path/$id/response" "{\"version\":\"$version\"}"
          else
            request POST "$path/$id/error" "{\"errorMessage\":\"no manifest at $manifest\",\"errorType\":\"Bundle.Missing\"}"
          fi
        done

        """;
}
