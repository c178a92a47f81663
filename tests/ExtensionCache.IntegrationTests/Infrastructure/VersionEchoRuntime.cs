namespace ExtensionCache.IntegrationTests.Infrastructure;

/// <summary>
/// A custom runtime in bash for the refresh tests: at every invoke it resolves <c>&lt;root&gt;/&lt;bundle&gt;</c> once
/// (as the docs tell functions to), reads <c>version.txt</c> and <c>check.txt</c> from the folder it names and
/// answers <c>{"version":…,"check":…}</c>; a missing file is a <c>Bundle.Missing</c> error. A bundle built by
/// <see cref="Archive"/> holds the same version in both files, so an answer whose two values differ is a mixed version.
/// </summary>
public static class VersionEchoRuntime
{
    public static string Write(string folder, string bundle) =>
        BootstrapFile.Write(folder, BashRuntimeApi.Splice(Script).Replace("@BUNDLE@", bundle, StringComparison.Ordinal));

    /// <summary>A zip with <c>version.txt</c>, <c>check.txt</c> (both <paramref name="version"/>) and <paramref name="padding"/> bytes of data.</summary>
    public static string Archive(string folder, string version, int padding)
    {
        var source = Path.Join(folder, $"tree-{version}");
        Directory.CreateDirectory(source);
        File.WriteAllText(Path.Join(source, "version.txt"), version);
        File.WriteAllText(Path.Join(source, "check.txt"), version);
        var data = new byte[padding];
        Random.Shared.NextBytes(data);
        File.WriteAllBytes(Path.Join(source, "data.bin"), data);
        var zip = Path.Join(folder, $"bundle-{version}.zip");
        System.IO.Compression.ZipFile.CreateFromDirectory(source, zip);
        return zip;
    }

    private const string Script = """
        #!/bin/bash
        set -u
        link="${TMPDIR:-/tmp}/extension-cache/@BUNDLE@"

        @RUNTIME_API@
        while true; do
          next_invocation
          dir=$(readlink -f "$link")
          version="" check=""
          [[ -n $dir && -f $dir/version.txt ]] && IFS= read -r version < "$dir/version.txt"
          [[ -n $dir && -f $dir/check.txt ]] && IFS= read -r check < "$dir/check.txt"
          if [[ -n $version && -n $check ]]; then
            request POST "$path/$id/response" "{\"version\":\"$version\",\"check\":\"$check\",\"pid\":$$}"
          else
            request POST "$path/$id/error" "{\"errorMessage\":\"missing file under $dir\",\"errorType\":\"Bundle.Missing\"}"
          fi
        done

        """;
}
