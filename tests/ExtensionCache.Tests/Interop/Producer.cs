using ExtensionCache.Extension.Configuration;

namespace ExtensionCache.Tests.Interop;

/// <summary>
/// One real archive producer: a bash command run inside the source tree that writes "$O" (or an in-process .NET
/// writer when <paramref name="Command"/> starts with "dotnet:"). <paramref name="Shape"/> leaves out the names
/// the format cannot hold (ustar, v7). <paramref name="Refusal"/>, when set, is the text the extension's
/// refusal must contain: that output is refused by name, never published. <paramref name="Reference"/> is the
/// extractor the extension is compared with when it is not the format's usual one (unzip, GNU tar).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed record Producer(string Name, BundleFormat Format, string Command, TreeShape Shape = TreeShape.Full, string? Refusal = null, string? Reference = null)
{
    private const string Gz = "-czf \"$O\" .";

    /// <summary>Sets a user xattr on a short name, a prefixed one and the long multi-byte ones (their PAX header then holds more than a path).</summary>
    private static readonly string SetXattr =
        $"python3 -c 'import os, sys; [os.setxattr(p, \"user.origin\", b\"interop\") for p in sys.argv[1:]]' README.md \"$PREFIXED\" {InteropTree.LongUnicodePath} {InteropTree.LongAccentedName}";

    // Zip method 93: unzip 6.0 cannot extract it, and bsdtar (libarchive 3.6.2 here) stops with "Truncated zstd file
    // body" on a highly compressible single frame (the interop tree's sparse file), so 7-Zip is the reference (-snld:
    // it otherwise skips links with "..", which stay inside the bundle here).
    // Debian's python3 has python3-zstandard.
    private const string SevenZip = "7z x -snl -snld -y \"$O\" > /dev/null";
    private const string PyZstd = "/usr/bin/python3 \"$P/py_zip_zstd.py\" \"$O\" ";

    public static IReadOnlyList<Producer> All { get; } =
    [
        // zip
        new("zip -ry", BundleFormat.Zip, "zip -qry \"$O\" ."),
        new("zip -ry with an archive comment", BundleFormat.Zip, "echo 'an archive comment' | zip -qryz \"$O\" ."),
        new("bsdtar --format zip", BundleFormat.Zip, "bsdtar --format zip -cf \"$O\" ."),
        new("bsdtar --format zip, padded to 10240-byte blocks", BundleFormat.Zip, "bsdtar --format zip -cf - . | cat > \"$O\""),
        new("7z a -tzip -snl", BundleFormat.Zip, "7z a -tzip -snl \"$O\" . > /dev/null"),
        new("python zipfile", BundleFormat.Zip, "python3 \"$P/py_zip.py\" \"$O\""),
        new("node yazl", BundleFormat.Zip, "node \"$P/yazl_zip.js\" \"$O\""),
        new(".NET ZipFile", BundleFormat.Zip, "dotnet:zip"),

        // zip with zstd entries (method 93), against 7-Zip
        new("python zipfile + zstandard, streamed (zstd)", BundleFormat.Zip, PyZstd + "stream", Reference: SevenZip),
        new("python zipfile + the zstd tool (zstd)", BundleFormat.Zip, PyZstd + "zstd", Reference: SevenZip),
        new("python zipfile + zstd -19 --long=25 (zstd)", BundleFormat.Zip, PyZstd + "zstd-19", Reference: SevenZip),
        new("python zipfile + pzstd (zstd, skippable frames)", BundleFormat.Zip, PyZstd + "pzstd", Reference: SevenZip),

        // tar.gz, GNU tar
        new("tar (gnu)", BundleFormat.TarGz, "tar " + Gz),
        new("tar --format=posix", BundleFormat.TarGz, "tar --format=posix " + Gz),
        new("tar --format=posix --xattrs", BundleFormat.TarGz, SetXattr + " && tar --format=posix --xattrs " + Gz),
        new("tar --format=posix --sort=name --mtime=@1", BundleFormat.TarGz, "tar --format=posix --sort=name --mtime=@1 " + Gz),
        new("tar --format=ustar", BundleFormat.TarGz, "tar --format=ustar " + Gz, TreeShape.Ustar),
        new("tar --format=v7", BundleFormat.TarGz, "tar --format=v7 " + Gz, TreeShape.V7),
        new("tar --format=oldgnu", BundleFormat.TarGz, "tar --format=oldgnu " + Gz),
        new("tar -S --format=gnu", BundleFormat.TarGz, "tar -S --format=gnu " + Gz),
        new("tar -S --format=oldgnu", BundleFormat.TarGz, "tar -S --format=oldgnu " + Gz),
        new("tar -S --format=posix", BundleFormat.TarGz, "tar -S --format=posix " + Gz),
        new("tar -S --sparse-version=0.0 --format=posix", BundleFormat.TarGz, "tar -S --sparse-version=0.0 --format=posix " + Gz),
        new("tar -S --sparse-version=0.1 --format=posix", BundleFormat.TarGz, "tar -S --sparse-version=0.1 --format=posix " + Gz),
        new("tar -S --sparse-version=1.0 --format=posix", BundleFormat.TarGz, "tar -S --sparse-version=1.0 --format=posix " + Gz),
        new("tar -g (incremental)", BundleFormat.TarGz, "tar -g \"$O.snar\" --format=gnu " + Gz),
        new("tar --format=gnu with uid and gid 4294967294", BundleFormat.TarGz, "tar --format=gnu --owner=nobody:4294967294 --group=nogroup:4294967294 " + Gz),
        new("tar --format=posix with uid and gid 4294967294", BundleFormat.TarGz, "tar --format=posix --owner=nobody:4294967294 --group=nogroup:4294967294 " + Gz),
        new("tar | pigz", BundleFormat.TarGz, "tar --format=posix -cf - . | pigz -p 2 -b 128 > \"$O\""),

        // tar.gz, bsdtar
        new("bsdtar", BundleFormat.TarGz, "bsdtar " + Gz),
        new("bsdtar, to a pipe", BundleFormat.TarGz, "bsdtar -czf - . | cat > \"$O\""),
        new("bsdtar with an xattr", BundleFormat.TarGz, SetXattr + " && bsdtar " + Gz),
        new("bsdtar --format pax", BundleFormat.TarGz, "bsdtar --format pax " + Gz),
        new("bsdtar --format gnutar", BundleFormat.TarGz, "bsdtar --format gnutar " + Gz),
        new("bsdtar --format ustar", BundleFormat.TarGz, "bsdtar --format ustar " + Gz, TreeShape.Ustar),

        // tar.gz, libraries
        new("python tarfile GNU_FORMAT", BundleFormat.TarGz, "python3 \"$P/py_tar.py\" \"$O\" gnu"),
        new("python tarfile PAX_FORMAT", BundleFormat.TarGz, "python3 \"$P/py_tar.py\" \"$O\" pax"),
        new("python tarfile USTAR_FORMAT", BundleFormat.TarGz, "python3 \"$P/py_tar.py\" \"$O\" ustar", TreeShape.Ustar),
        new(".NET TarFile", BundleFormat.TarGz, "dotnet:tar"),
        new("node tar", BundleFormat.TarGz, "node \"$P/node_tar.js\" \"$O\""),

        // tar.zst
        new("tar | zstd", BundleFormat.TarZst, "tar --format=posix -cf - . | zstd -q -o \"$O\""),
        new("tar | zstd -19", BundleFormat.TarZst, "tar --format=posix -cf - . | zstd -q -19 -o \"$O\""),
        new("tar | zstd --long=25", BundleFormat.TarZst, "tar --format=posix -cf - . | zstd -q --long=25 -o \"$O\""),
        new("tar | pzstd -p 2", BundleFormat.TarZst, "tar --format=posix -cf - . | pzstd -q -p 2 -o \"$O\""),
        new("tar, two zstd frames", BundleFormat.TarZst,
            "tar --format=posix -cf \"$O.tar\" . && head -c 1000000 \"$O.tar\" | zstd -q > \"$O\" && tail -c +1000001 \"$O.tar\" | zstd -q >> \"$O\""),
        new("tar | zstd --long=31", BundleFormat.TarZst, "tar --format=posix -cf - . | zstd -q --long=31 -o \"$O\"", Refusal: "window"),
        new("bsdtar --zstd (unpinned)", BundleFormat.TarZst, "bsdtar --zstd -cf \"$O\" .", Refusal: "without zstd's content checksum"),
        new("tar | pzstd --no-check (unpinned)", BundleFormat.TarZst, "tar --format=posix -cf - . | pzstd -q -p 2 --no-check -o \"$O\"", Refusal: "without zstd's content checksum"),
    ];

    public static TheoryData<string> Names(bool refused) => [.. All.Where(p => (p.Refusal is not null) == refused).Select(p => p.Name)];

    /// <summary>The producers whose tar.zst has no content checksum: refused unless pinned by sha256.</summary>
    public static TheoryData<string> WithoutChecksum => [.. All.Where(p => p.Refusal?.Contains("checksum", StringComparison.Ordinal) == true).Select(p => p.Name)];

    public static Producer Named(string name) => All.Single(p => p.Name == name);

    public override string ToString() => Name;
}
