using System.Globalization;
using System.Text.RegularExpressions;

namespace ExtensionCache.Extension.Configuration;

/// <summary>
/// Parses <c>EXTENSION_CACHE_BUNDLES</c> (<c>name=uri;name=uri</c>). Every problem is collected, and no message
/// ever contains a query string: presigned URLs carry credentials there.
/// </summary>
internal static partial class BundleListParser
{
    public const string Variable = "EXTENSION_CACHE_BUNDLES";
    public const int MaxNameLength = BundleNameRule.MaxLength;

    /// <summary>The longest refresh period accepted: a week.</summary>
    public const int MaxRefreshSeconds = 604_800;

    private const string ExpectedEntry = "expected name=uri, uri one of s3://bucket/key[?versionId=...], https://..., http://... or file:///absolute/path, optional #sha256=<64 hex>&format=zip|tar.gz|tar.zst&refresh=<seconds>";
    private const string ExpectedFormat = "expected format=zip, tar.gz or tar.zst";

    public static IReadOnlyList<BundleSpec> Parse(string? text, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            errors.Add($"{Variable} is not set: {ExpectedEntry}, several separated by ';'");
            return [];
        }

        var bundles = new List<BundleSpec>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rawEntry in text.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var bundle = ParseEntry(rawEntry, errors);
            if (bundle is null)
            {
                continue;
            }

            if (!names.Add(bundle.Name))
            {
                errors.Add($"{Variable} entry '{Redact(rawEntry)}': the name '{bundle.Name}' is used twice; expected unique names");
                continue;
            }

            bundles.Add(bundle);
        }

        if (bundles.Count == 0 && !errors.Exists(e => e.StartsWith(Variable, StringComparison.Ordinal)))
        {
            errors.Add($"{Variable}='{Redact(text)}' holds no bundle: {ExpectedEntry}");
        }

        return bundles;
    }

    /// <summary>The text with every query string and user:password@ replaced, safe to print.</summary>
    public static string Redact(string text) => RedactQuery(UserInfoPattern().Replace(text, "://(credentials hidden)@"));

    private static string RedactQuery(string text)
    {
        var question = text.IndexOf('?', StringComparison.Ordinal);
        if (question < 0)
        {
            return text;
        }

        var end = text.IndexOfAny(['#', ';'], question);
        var rest = end < 0 ? string.Empty : RedactQuery(text[end..]);
        return text[..question] + "?(query hidden)" + rest;
    }

    private static BundleSpec? ParseEntry(string entry, List<string> errors)
    {
        var where = $"{Variable} entry '{Redact(entry)}'";
        var equals = entry.IndexOf('=', StringComparison.Ordinal);
        if (equals < 0)
        {
            errors.Add($"{where}: no '=': {ExpectedEntry}");
            return null;
        }

        var name = entry[..equals].Trim();
        var uriText = entry[(equals + 1)..].Trim();
        var count = errors.Count;
        if (BundleNameRule.Problem(name) is { } nameProblem)
        {
            errors.Add($"{where}: {nameProblem}");
        }

        string? sha256 = null;
        BundleFormat? format = null;
        int? refresh = null;
        var hash = uriText.IndexOf('#', StringComparison.Ordinal);
        if (hash >= 0)
        {
            ParseFragment(uriText[(hash + 1)..], where, errors, ref sha256, ref format, ref refresh);
            uriText = uriText[..hash];
        }

        if (sha256 is not null && refresh > 0)
        {
            errors.Add($"{where}: '#refresh={refresh}' with '#sha256=': a pinned bundle never refreshes (a pin is a version); expected one of the two");
        }

        var location = ParseLocation(uriText, where, errors, out var path);
        if (location is not null && format is null)
        {
            format = FormatFromPath(path);
            if (format is null)
            {
                errors.Add($"{where}: cannot tell the archive format from '{Redact(path)}'; expected a path ending in .zip, .tar.gz, .tgz, .tar.zst or .tzst, or a #format=zip|tar.gz|tar.zst fragment");
            }
        }

        return errors.Count == count && location is not null && format is not null
            ? new BundleSpec(name, location, format.Value, sha256, refresh ?? 0, refresh)
            : null;
    }

    private static void ParseFragment(string fragment, string where, List<string> errors, ref string? sha256, ref BundleFormat? format, ref int? refresh)
    {
        foreach (var part in fragment.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            var key = equals < 0 ? part : part[..equals];
            var value = equals < 0 ? string.Empty : part[(equals + 1)..];
            switch (key.ToLowerInvariant())
            {
                case "sha256" when sha256 is not null:
                case "format" when format is not null:
                case "refresh" when refresh is not null:
                    errors.Add($"{where}: '#{key}' is given twice; expected it once");
                    break;
                case "sha256":
                    if (Sha256Pattern().IsMatch(value))
                    {
                        sha256 = value.ToLowerInvariant();
                    }
                    else
                    {
                        errors.Add($"{where}: '#sha256={value}' is not a SHA-256; expected 64 hexadecimal digits");
                    }

                    break;
                case "format":
                    format = ParseFormat(value);
                    if (format is null)
                    {
                        errors.Add($"{where}: '#format={value}' is not supported; {ExpectedFormat}");
                    }

                    break;
                case "refresh":
                    if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds <= MaxRefreshSeconds)
                    {
                        refresh = seconds;
                    }
                    else
                    {
                        errors.Add($"{where}: '#refresh={value}' is not valid; expected a whole number of seconds from 0 (off) to {MaxRefreshSeconds.ToString("N0", CultureInfo.InvariantCulture)}");
                    }

                    break;
                default:
                    errors.Add($"{where}: unknown fragment '#{part}'; expected sha256=<64 hex>, format=zip|tar.gz|tar.zst and/or refresh=<seconds> joined with '&'");
                    break;
            }
        }
    }

    /// <summary>The typed location of a URI without its fragment; <paramref name="path"/> is what names the format.</summary>
    internal static BundleLocation? ParseLocation(string uriText, string where, List<string> errors, out string path)
    {
        path = string.Empty;
        var colon = uriText.IndexOf("://", StringComparison.Ordinal);
        var scheme = colon < 0 ? string.Empty : uriText[..colon].ToLowerInvariant();
        switch (scheme)
        {
            case "s3":
                return ParseS3(uriText, where, errors, out path);
            case "https":
            case "http":
                return ParseHttp(uriText, where, errors, out path);
            case "file":
                return ParseFile(uriText, where, errors, out path);
            case "":
                errors.Add($"{where}: '{Redact(uriText)}' is not an absolute URI; {ExpectedEntry}");
                return null;
            default:
                errors.Add($"{where}: the scheme '{scheme}' is not supported; expected s3://, https://, http:// or file://");
                return null;
        }
    }

    private static S3Location? ParseS3(string uriText, string where, List<string> errors, out string path)
    {
        path = string.Empty;
        var rest = uriText["s3://".Length..];
        var question = rest.IndexOf('?', StringComparison.Ordinal);
        var query = question < 0 ? null : rest[(question + 1)..];
        var bucketAndKey = question < 0 ? rest : rest[..question];
        var slash = bucketAndKey.IndexOf('/', StringComparison.Ordinal);
        var bucket = slash < 0 ? bucketAndKey : bucketAndKey[..slash];
        var key = slash < 0 ? string.Empty : bucketAndKey[(slash + 1)..];
        var count = errors.Count;

        // Checked on the raw text: System.Uri lower-cases hosts, which would hide an invalid bucket name.
        if (!BucketPattern().IsMatch(bucket))
        {
            errors.Add($"{where}: '{bucket}' is not an S3 bucket name; expected 3-63 lower-case letters, digits, '.' or '-'");
        }

        if (key.Length == 0)
        {
            errors.Add($"{where}: the S3 URI has no object key; expected s3://bucket/key");
        }

        if (query is not null)
        {
            foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var isVersion = pair.StartsWith("versionId=", StringComparison.Ordinal) && pair.Length > "versionId=".Length;
                if (!isVersion)
                {
                    var queryKey = pair.Split('=')[0];
                    errors.Add($"{where}: the S3 query parameter '{queryKey}' is not supported; expected only ?versionId=<id>");
                }
            }
        }

        if (errors.Count != count || !Uri.TryCreate(uriText, UriKind.Absolute, out var uri))
        {
            if (errors.Count == count)
            {
                errors.Add($"{where}: '{Redact(uriText)}' is not a valid URI; expected s3://bucket/key");
            }

            return null;
        }

        path = Uri.UnescapeDataString(key);
        return new S3Location(uri, uri.Host, Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')), VersionIdOf(uri));
    }

    private static string? VersionIdOf(Uri uri)
    {
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && pair[..eq] == "versionId")
            {
                return Uri.UnescapeDataString(pair[(eq + 1)..]);
            }
        }

        return null;
    }

    private static HttpLocation? ParseHttp(string uriText, string where, List<string> errors, out string path)
    {
        path = string.Empty;
        if (!Uri.TryCreate(uriText, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
        {
            errors.Add($"{where}: '{Redact(uriText)}' is not a valid URL; expected https://host/path");
            return null;
        }

        if (uri.UserInfo.Length > 0)
        {
            errors.Add($"{where}: the URL carries user credentials before '@'; expected a URL without them (use a presigned URL)");
            return null;
        }

        path = Uri.UnescapeDataString(uri.AbsolutePath);
        return new HttpLocation(uri);
    }

    private static FileLocation? ParseFile(string uriText, string where, List<string> errors, out string path)
    {
        path = string.Empty;
        if (!uriText.StartsWith("file:///", StringComparison.OrdinalIgnoreCase) || uriText.Contains('?', StringComparison.Ordinal))
        {
            errors.Add($"{where}: '{Redact(uriText)}' is not a local file URI; expected file:///absolute/path (no host, no query)");
            return null;
        }

        if (!Uri.TryCreate(uriText, UriKind.Absolute, out var uri) || !uri.IsFile || uri.LocalPath.Length <= 1)
        {
            errors.Add($"{where}: '{uriText}' is not a valid file URI; expected file:///absolute/path");
            return null;
        }

        path = uri.LocalPath;
        return new FileLocation(uri, path);
    }

    private static BundleFormat? ParseFormat(string value) => value.ToLowerInvariant() switch
    {
        "zip" => BundleFormat.Zip,
        "tar.gz" or "tgz" => BundleFormat.TarGz,
        "tar.zst" or "tzst" => BundleFormat.TarZst,
        _ => null,
    };

    private static BundleFormat? FormatFromPath(string path)
    {
        var lower = path.ToLower(CultureInfo.InvariantCulture);
        return lower switch
        {
            _ when lower.EndsWith(".zip", StringComparison.Ordinal) => BundleFormat.Zip,
            _ when lower.EndsWith(".tar.gz", StringComparison.Ordinal) || lower.EndsWith(".tgz", StringComparison.Ordinal) => BundleFormat.TarGz,
            _ when lower.EndsWith(".tar.zst", StringComparison.Ordinal) || lower.EndsWith(".tzst", StringComparison.Ordinal) => BundleFormat.TarZst,
            _ => null,
        };
    }

    [GeneratedRegex("://[^/@?#;]*@")]
    private static partial Regex UserInfoPattern();

    [GeneratedRegex("^[0-9A-Fa-f]{64}$")]
    private static partial Regex Sha256Pattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    private static partial Regex BucketPattern();
}
