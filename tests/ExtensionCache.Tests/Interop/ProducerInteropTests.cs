using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
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
    private static readonly string Scripts = Path.Join(RepositoryRoot.Path, "tests", "ExtensionCache.Tests", "Interop", "producers");

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

    [Theory]
    [InlineData(BundleFormat.Zip, "zip -qr \"$O\" .")]
    [InlineData(BundleFormat.TarGz, "tar -czf \"$O\" .")]
    [InlineData(BundleFormat.TarGz, "tar --format=posix -czf \"$O\" .")]
    public async Task A_name_that_is_not_utf8_is_refused_by_name_in_zip_and_tar(BundleFormat format, string command)
    {
        var source = _work.Combine("latin1");
        Directory.CreateDirectory(source);
        Run("printf 'x' > \"$(printf 'caf\\351.txt')\"", source, null);
        var output = _work.Combine("latin1." + (format == BundleFormat.Zip ? "zip" : "tar.gz"));
        Run(command, source, output);

        var error = await _harness.FailsAsync(_harness.FileBundle("latin1", File.ReadAllBytes(output), format));

        Assert.Equal(FailureKind.BundleUnsafe, error.Kind);
        Assert.Contains("café.txt'", error.Message, StringComparison.Ordinal);
        Assert.Contains("not valid UTF-8", error.Message, StringComparison.Ordinal);
        _harness.AssertNothingPublished("latin1");

        // .NET cannot name a file whose name is not UTF-8, so it cannot delete it either.
        Run("rm -rf \"$O\"", _work.Path, source);
    }

    private void AssertSameAsReference(Producer producer, byte[] archive, string ours)
    {
        var path = _work.Combine("reference-input");
        File.WriteAllBytes(path, archive);
        var reference = _work.Combine("reference");
        Directory.CreateDirectory(reference);
        Run(
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
                Run(producer.Command, source, output);
                break;
        }

        return File.ReadAllBytes(output);
    }

    /// <summary>Runs a bash command in <paramref name="directory"/> with $O, $P and $PREFIXED set; fails loudly on a non-zero exit.</summary>
    private static void Run(string command, string directory, string? output)
    {
        var start = new ProcessStartInfo("bash", ["-c", "set -eo pipefail; " + command])
        {
            WorkingDirectory = directory,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        start.Environment["O"] = output ?? string.Empty;
        start.Environment["P"] = Scripts;
        start.Environment["PREFIXED"] = InteropTree.PrefixedPath;
        start.Environment["TZ"] = "UTC";
        start.Environment["LC_ALL"] = "C.UTF-8";
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"'{command}' did not finish within two minutes");
        }

        Assert.True(process.ExitCode == 0, $"'{command}' failed with exit code {process.ExitCode} (is the tool installed?):\n{stderr.Result}{stdout.Result}");
    }
}
