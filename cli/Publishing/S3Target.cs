namespace ExtensionCache.Cli.Publishing;

/// <summary>An <c>s3://bucket/prefix/</c> argument: the bucket and the key prefix (empty, or ending in '/').</summary>
public sealed record S3Target(string Bucket, string Prefix)
{
    public static S3Target Parse(string text)
    {
        if (!text.StartsWith("s3://", StringComparison.Ordinal))
        {
            throw new CliException($"'{text}' is not an S3 location; expected s3://bucket/prefix/");
        }

        var rest = text["s3://".Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var bucket = slash < 0 ? rest : rest[..slash];
        var prefix = slash < 0 ? "" : rest[(slash + 1)..];
        if (bucket.Length < 3 || bucket.Length > 63 || !bucket.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.'))
        {
            throw new CliException($"'{text}': '{bucket}' is not a bucket name; expected 3 to 63 lower-case letters, digits, '-' or '.' (s3://bucket/prefix/)");
        }

        if (prefix.Length > 0 && !prefix.EndsWith('/'))
        {
            throw new CliException($"'{text}': the prefix must end in '/' (s3://bucket/prefix/); the key is made from it and the bundle's name");
        }

        return new S3Target(bucket, prefix);
    }
}
