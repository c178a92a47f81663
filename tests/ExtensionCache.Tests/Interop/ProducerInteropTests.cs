using System.Formats.Tar;
using System.IO.Compression;
using ExtensionCache.Extension.Bundles;
using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Failures;
using ExtensionCache.Tests.Fixtures;

namespace ExtensionCache.Tests.Interop;

/// <summary>
/// Archives made by real tools and libraries, unpacked by the extension (through BundleCache, from a file://
/// source) and by the reference extractor (unzip, GNU tar); the two trees must match entry by entry. A producer
/// that is missing or fails makes its case fail: the CI image installs every one of them.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ProducerInteropTests : IDisposable
{
    private readonly CacheHarness _harness = new();
    private readonly TempDirectory _work = new("ec-interop");

    public void Dispose()
    {
        _harness.Dispose();
        _work.Dispose();
    }

    public static TheoryData<string> Accepted => Producer.Names(refused: false);

    public static TheoryData<string> Refused => Producer.Names(refused: true);

    [Theory]
    [MemberData(nameof(Accepted))]
    public async Task Every_producer_s_archive_unpacks_exactly_as_the_reference_extractor_does(string name)
    {
        var producer = Producer.Named(name);
        var archive = Produce(producer);

        var spec = _harness.FileBundle("interop", archive, producer.Format);
        _harness.Cache.PrepareRoot([spec]);
        var ours = (await _harness.Cache.PrepareAsync(spec, CancellationToken.None)).PublishedPath;

        AssertSameAsReference(producer, archive, ours);
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task What_the_extension_cannot_hold_is_refused_by_name(string name)
    {
        var producer = Producer.Named(name);
        var archive = Produce(producer);

        var error = await _harness.FailsAsync(_harness.FileBundle("refused", archive, producer.Format));

        Assert.Contains(producer.Refusal!, error.Message, StringComparison.Ordinal);
        _harness.AssertNothingPublished("refused");
    }

    public static TheoryData<string> WithoutChecksum => Producer.WithoutChecksum;

    [Theory]
    [MemberData(nameof(WithoutChecksum))]
    public async Task A_tar_zst_without_checksum_pinned_by_sha256_unpacks_as_the_reference_does(string name)
    {
        var producer = Producer.Named(name);
        var archive = Produce(producer);
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(archive));

        var spec = _harness.FileBundle("pinned", archive, producer.Format, sha);
        _harness.Cache.PrepareRoot([spec]);
        var ours = (await _harness.Cache.PrepareAsync(spec, CancellationToken.None)).PublishedPath;

        AssertSameAsReference(producer, archive, ours);
    }

    /// <summary>
    /// The refusal names the path the file would have had: with --format=posix that is the PAX header's path record,
    /// never the header entry's own made-up name ("./PaxHeaders/café.txt").
    /// </summary>
    [Theory]
    [InlineData(BundleFormat.Zip, "zip -qr \"$O\" .", ".", "café.txt")]
    [InlineData(BundleFormat.TarGz, "tar -czf \"$O\" .", ".", "./café.txt")]
    [InlineData(BundleFormat.TarGz, "tar --format=posix -czf \"$O\" .", ".", "./café.txt")]
    [InlineData(BundleFormat.TarGz, "tar --format=posix -czf \"$O\" .", "sub", "./sub/café.txt")]
    public async Task A_name_that_is_not_utf8_is_refused_naming_the_path_it_would_have_had(BundleFormat format, string command, string folder, string named)
    {
        var source = _work.Combine("latin1");
        Directory.CreateDirectory(Path.Join(source, folder));
        ProducerShell.Run("printf 'x' > \"$(printf 'caf\\351.txt')\"", Path.Join(source, folder), null);
        var output = _work.Combine("latin1." + (format == BundleFormat.Zip ? "zip" : "tar.gz"));
        ProducerShell.Run(command, source, output);

        var error = await _harness.FailsAsync(_harness.FileBundle("latin1", File.ReadAllBytes(output), format));

        Assert.Equal(FailureKind.BundleUnsafe, error.Kind);
        Assert.Contains($"entry '{named}' refused", error.Message, StringComparison.Ordinal);
        Assert.Contains("not valid UTF-8", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("PaxHeaders", error.Message, StringComparison.Ordinal);
        _harness.AssertNothingPublished("latin1");

        // .NET cannot name a file whose name is not UTF-8, so it cannot delete it either.
        ProducerShell.Run("rm -rf \"$O\"", _work.Path, source);
    }

    private void AssertSameAsReference(Producer producer, byte[] archive, string ours)
    {
        var path = _work.Combine("reference-input");
        File.WriteAllBytes(path, archive);
        var reference = _work.Combine("reference");
        Directory.CreateDirectory(reference);
        ProducerShell.Run(
            producer.Reference ?? producer.Format switch
            {
                BundleFormat.Zip => "unzip -q \"$O\" -d .",
                BundleFormat.TarGz => "tar --no-same-owner -xzf \"$O\"",
                _ => "tar --no-same-owner --zstd -xf \"$O\"",
            },
            reference,
            path);

        var expected = TreeSnapshot.Take(reference, mtimes: true);
        var actual = TreeSnapshot.Take(ours, mtimes: true);

        // The reference must hold the tree, so a producer that packed too little cannot pass by accident.
        Assert.True(expected.GetValueOrDefault(InteropTree.SparseName, string.Empty).StartsWith($"file {InteropTree.SparseSize} bytes", StringComparison.Ordinal), $"{producer}: the reference has no {InteropTree.SparseName}");
        Assert.True(producer.Shape == TreeShape.V7 || expected.ContainsKey(InteropTree.PrefixedPath), $"{producer}: the reference has no {InteropTree.PrefixedPath}");
        Assert.True(producer.Shape == TreeShape.V7 || expected.ContainsKey(InteropTree.UnicodePrefixedPath), $"{producer}: the reference has no {InteropTree.UnicodePrefixedPath}");
        Assert.True(producer.Shape != TreeShape.Full || (expected.ContainsKey(InteropTree.LongUnicodePath) && expected.ContainsKey(InteropTree.LongAccentedName)), $"{producer}: the reference lacks the long multi-byte names");
        var diff = TreeSnapshot.Diff(actual, expected);
        Assert.True(diff.Length == 0, $"{producer}: the extension's tree differs from the reference extractor's:\n{diff}");
    }

    private byte[] Produce(Producer producer)
    {
        var source = _work.Combine("source");
        Directory.CreateDirectory(source);
        InteropTree.Write(source, producer.Shape);
        var output = _work.Combine("produced.archive");
        switch (producer.Command)
        {
            case "dotnet:zip":
                ZipFile.CreateFromDirectory(source, output, CompressionLevel.Optimal, includeBaseDirectory: false);
                break;
            case "dotnet:tar":
                using (var file = File.Create(output))
                using (var gzip = new GZipStream(file, CompressionLevel.Optimal))
                {
                    TarFile.CreateFromDirectory(source, gzip, includeBaseDirectory: false);
                }

                break;
            default:
                ProducerShell.Run(producer.Command, source, output);
                break;
        }

        return File.ReadAllBytes(output);
    }
}
