namespace ExtensionCache.Cli.Tests;

/// <summary>Bad input to every verb: one clear message, a documented exit code, never a stack trace.</summary>
public sealed class ErrorTests
{
    [Fact]
    public async Task Pack_of_a_missing_folder_says_so()
    {
        var result = await CliRun.RunAsync("pack", "/no/such/folder", "-o", "/tmp/never.zip");

        AssertClear(result, ExitCodes.BadInput, "folder '/no/such/folder' does not exist");
        Assert.False(File.Exists("/tmp/never.zip"));
    }

    [Fact]
    public async Task Pack_of_an_unreadable_file_names_it_and_writes_nothing()
    {
        using var temp = new TempDirectory();
        var tree = temp.Combine("tree");
        Directory.CreateDirectory(tree);
        await File.WriteAllTextAsync(Path.Join(tree, "secret"), "x");
        File.SetUnixFileMode(Path.Join(tree, "secret"), UnixFileMode.None);

        var result = await CliRun.RunUnprivilegedAsync("pack", tree, "-o", temp.Combine("o.zip"));

        AssertClear(result, ExitCodes.Refused, "'secret': cannot read it");
        Assert.False(File.Exists(temp.Combine("o.zip")));
    }

    [Fact]
    public async Task Inspect_of_a_missing_archive_says_so()
    {
        var result = await CliRun.RunAsync("inspect", "/no/such.zip");

        AssertClear(result, ExitCodes.BadInput, "archive '/no/such.zip' does not exist");
    }

    [Fact]
    public async Task Inspect_of_a_file_that_is_not_an_archive_gives_the_extensions_rule()
    {
        using var temp = new TempDirectory();
        var file = temp.Combine("notes.zip");
        await File.WriteAllTextAsync(file, "this is not a zip at all, just some text that is long enough");

        var result = await CliRun.RunAsync("inspect", file);

        AssertClear(result, ExitCodes.Refused, "no end-of-central-directory record");
    }

    [Theory]
    [InlineData("bucket/prefix/", "is not an S3 location")]
    [InlineData("s3://B/prefix/", "is not a bucket name")]
    [InlineData("s3://bucket/prefix", "the prefix must end in '/'")]
    public async Task Publish_to_a_bad_s3_uri_says_what_was_expected(string destination, string message)
    {
        using var temp = new TempDirectory();

        var result = await CliRun.RunAsync("publish", temp.Path, destination, "--name", "app");

        AssertClear(result, ExitCodes.BadInput, message);
    }

    [Fact]
    public async Task Publish_with_a_bad_name_says_what_was_expected()
    {
        using var temp = new TempDirectory();

        var result = await CliRun.RunAsync("publish", temp.Path, "s3://bucket/", "--name", "no/slash");

        AssertClear(result, ExitCodes.BadInput, "--name 'no/slash'");
    }

    [Fact]
    public async Task Publish_to_a_bucket_that_does_not_exist_says_so()
    {
        await using var s3 = await S3rver.StartAsync("bundles");
        using var temp = new TempDirectory();
        await File.WriteAllTextAsync(temp.Combine("a.txt"), "a");

        var result = await CliRun.RunAsync(s3.ExtensionEnvironment, "publish", temp.Path, "s3://no-such-bucket/", "--name", "app");

        AssertClear(result, ExitCodes.RemoteFailed, "bucket 'no-such-bucket' does not exist");
    }

    [Fact]
    public async Task Publish_without_credentials_says_so()
    {
        await using var s3 = await S3rver.StartAsync("bundles");
        using var temp = new TempDirectory();
        await File.WriteAllTextAsync(temp.Combine("a.txt"), "a");
        var environment = new Dictionary<string, string>
        {
            ["AWS_ENDPOINT_URL_S3"] = s3.ExtensionEnvironment["AWS_ENDPOINT_URL_S3"],
            ["AWS_ACCESS_KEY_ID"] = "",
            ["AWS_SECRET_ACCESS_KEY"] = "",
            ["AWS_SHARED_CREDENTIALS_FILE"] = temp.Combine("none"),
            ["AWS_CONFIG_FILE"] = temp.Combine("none"),
            ["AWS_EC2_METADATA_DISABLED"] = "true",
            ["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "",
            ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "",
        };

        var result = await CliRun.RunAsync(environment, "publish", temp.Path, "s3://bundles/", "--name", "app");

        AssertClear(result, ExitCodes.RemoteFailed, "credentials");
    }

    [Fact]
    public async Task Publish_of_a_missing_input_says_so()
    {
        var result = await CliRun.RunAsync("publish", "/no/such/dir", "s3://bucket/", "--name", "app");

        AssertClear(result, ExitCodes.BadInput, "'/no/such/dir' does not exist");
    }

    private static void AssertClear(ProcessResult result, int exitCode, string message)
    {
        Assert.True(exitCode == result.ExitCode, $"exit {result.ExitCode}, expected {exitCode}: {result.Output}");
        Assert.Contains(message, result.Output, StringComparison.Ordinal);
        CliRun.AssertNoStackTrace(result);
    }
}
