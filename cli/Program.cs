using System.CommandLine;
using System.Globalization;
using ExtensionCache.Cli;
using ExtensionCache.Cli.Inspecting;
using ExtensionCache.Cli.Packing;
using ExtensionCache.Cli.Publishing;

var format = new Option<string?>("--format") { Description = "zip (default), tar.gz or tar.zst" };
format.AcceptOnlyFromAmong("zip", "tar.gz", "tar.zst");
var mtime = new Option<long?>("--mtime")
{
    Description = $"Clamp file mtimes to this unix time (default: ${Packer.SourceDateEpochVariable} when set); .pyc headers are rewritten to stay valid",
};

var method = new Option<string?>("--method")
{
    Description = "zip only: auto (default: per file, zstd, or stored when it does not compress; fastest for the extension), "
        + "zstd (every file), deflate (per file, deflate or stored: opens with every zip tool), store (nothing compressed). "
        + "zstd zips open with the extension, bsdtar/libarchive 3.6+, 7-Zip 24+ and Python 3.14+, not with unzip 6.0",
};
method.AcceptOnlyFromAmong(ZipMethods.Names);

var packFolder = new Argument<string>("dir") { Description = "The folder to pack" };
var packOutput = new Option<string>("--output", "-o") { Description = "The archive to write", Required = true };
var pack = new Command("pack", "Pack a folder into a deterministic bundle the extension accepts") { packFolder, packOutput, format, method, mtime };
pack.SetAction((parse, ct) => Cli.RunAsync(async () =>
{
    var output = parse.GetValue(packOutput)!;
    var bundleFormat = Packer.FormatOf(parse.GetValue(format), output);
    var entries = await Packer.PackAsync(parse.GetValue(packFolder)!, output, bundleFormat, Cli.Mtime(parse.GetValue(mtime)), ct, ZipMethods.Parse(parse.GetValue(method))).ConfigureAwait(false);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {output}: {entries.Count} entries, {new FileInfo(output).Length} bytes"));
}));

var publishInput = new Argument<string>("input") { Description = "A folder (packed first) or an archive" };
var publishTarget = new Argument<string>("destination") { Description = "s3://bucket/prefix/" };
var publishName = new Option<string>("--name") { Description = "The bundle's name in EXTENSION_CACHE_BUNDLES", Required = true };
var publish = new Command("publish", "Pack if needed, upload to a content-addressed S3 key, print the EXTENSION_CACHE_BUNDLES entry")
{
    publishInput, publishTarget, publishName, format, method, mtime,
};
publish.SetAction((parse, ct) => Cli.RunAsync(async () =>
{
    var result = await BundlePublisher.PublishAsync(
        parse.GetValue(publishInput)!, parse.GetValue(publishTarget)!, parse.GetValue(publishName)!, parse.GetValue(format), Cli.Mtime(parse.GetValue(mtime)), ct, ZipMethods.Parse(parse.GetValue(method))).ConfigureAwait(false);
    Console.WriteLine(result.Uploaded ? $"uploaded s3://{result.Bucket}/{result.Key}" : $"already there: s3://{result.Bucket}/{result.Key} (same sha256, not uploaded again)");
    Console.WriteLine();
    Console.WriteLine($"EXTENSION_CACHE_BUNDLES={result.BundlesEntry}");
    Console.WriteLine();
    Console.WriteLine(BundlePublisher.SamSnippet(result));
}));

var inspectTarget = new Argument<string>("archive") { Description = "A local archive, s3://bucket/key or https://…" };
var inspectAll = new Option<bool>("--entries")
{
    Description = "List every entry (size, zip method and stored size, zstd frames), not only the ten largest files",
};
var inspect = new Command("inspect", "List an archive and everything the extension would refuse in it") { inspectTarget, format, inspectAll };
inspect.SetAction((parse, ct) => Cli.RunAsync(async () =>
{
    var report = await Inspector.InspectAsync(parse.GetValue(inspectTarget)!, parse.GetValue(format), ct).ConfigureAwait(false);
    InspectPrinter.Print(report, Console.Out, parse.GetValue(inspectAll));
    return report.Accepted ? ExitCodes.Ok : ExitCodes.Refused;
}));

var root = new RootCommand("Pack, publish and inspect ExtensionCache bundles") { pack, publish, inspect };
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
