using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using ExtensionCache.IntegrationTests.Fixtures;
using ExtensionCache.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace ExtensionCache.IntegrationTests.EndToEnd;

/// <summary>
/// SnapStart end to end: the real layer in the emulator's <c>--snapstart</c> mode (INIT, a snapshot that stops every
/// process, a restore at the first invoke), s3rver behind a proxy that accepts only live sessions of the emulator's
/// container credentials endpoint (the key variables never reach the sandbox; the restore expires the INIT's session),
/// and a bash runtime that answers with the bundle's version. Downloads are counted at s3rver.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class SnapStartTests(LayerFixture layer, S3ServerFixture s3, ITestOutputHelper output)
    : EndToEndTestBase(layer, s3, output), IAsyncLifetime
{
    private const int Padding = 256 * 1024;

    private SessionCheckingProxy? proxy;

    private SessionCheckingProxy Proxy => proxy ?? throw new InvalidOperationException("the proxy is not started");

    public async Task InitializeAsync() => proxy = await SessionCheckingProxy.StartAsync(new Uri(S3.ExtensionEnvironment["AWS_ENDPOINT_URL_S3"]));

    async Task IAsyncLifetime.DisposeAsync()
    {
        if (proxy is not null)
        {
            await proxy.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_restore_answers_from_the_snapshots_bundle_with_no_download_and_credentials_only_from_the_endpoint()
    {
        var key = await UploadAsync("v0");
        await using var emulator = await ServeModeEmulator.StartAsync(Layout, SnapStartRequest(key), Output);

        // INIT published with the INIT's session, then the snapshot.
        var lines = emulator.Lines;
        Assert.Contains(lines, l => l.Contains("[extension-cache] published bundle=data", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("snapshot taken", StringComparison.Ordinal));
        Assert.Contains("EXTENSION Name: extension-cache State: Ready Events: [SHUTDOWN]", lines);
        var initRequests = Proxy.Requests;
        Assert.NotEmpty(initRequests);
        Assert.All(initRequests, r => Assert.Equal((1, null), (r.Session, r.Refusal)));
        var served = S3.BytesServed(key);
        Assert.True(served >= Padding, $"INIT downloaded {served} bytes");
        AssertNoKeyVariables(emulator.LatestPidOf("extension-cache"));

        // While snapshotted the INIT's session expires; the restore must not need it.
        Proxy.RevokeIssuedBefore(DateTimeOffset.UtcNow);
        var versions = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            versions.Add(await InvokeVersionAsync(emulator));
        }

        Assert.Equal(["v0", "v0", "v0"], versions);
        Assert.Equal(served, S3.BytesServed(key));
        Assert.Equal(initRequests.Count, Proxy.Requests.Count);
        lines = emulator.Lines;
        var restoreStart = lines.ToList().FindIndex(l => l.StartsWith("RESTORE_START ", StringComparison.Ordinal));
        Assert.True(restoreStart > lines.ToList().FindIndex(l => l.Contains("snapshot taken", StringComparison.Ordinal)));
        Assert.Single(lines, l => l.StartsWith("RESTORE_REPORT Restore Duration: ", StringComparison.Ordinal));
        Assert.Single(lines, l => l.StartsWith("REPORT ", StringComparison.Ordinal) && l.Contains(" Restore Duration: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_bundle_changed_while_snapshotted_is_checked_at_the_first_invoke_whatever_the_period_and_served_from_then_on()
    {
        var key = await UploadAsync("v0");

        // An hour's period: only the restore can make a check due a moment after INIT. The wait covers a whole check of
        // this small bundle, so the first invoke ends with the check done.
        var request = SnapStartRequest(key, ("EXTENSION_CACHE_REFRESH_SECONDS", "3600"), ("EXTENSION_CACHE_REFRESH_WAIT_MS", "10000"));
        await using var emulator = await ServeModeEmulator.StartAsync(Layout, request, Output);
        Assert.Contains("EXTENSION Name: extension-cache State: Ready Events: [INVOKE, SHUTDOWN]", emulator.Lines);
        var initSession = Proxy.Requests[0].Token;
        var servedAtInit = S3.BytesServed(key);

        // The world changes while the environment is snapshotted: a new version, and the INIT's session expires.
        await S3.UploadAsync(key, VersionEchoRuntime.Archive(Work.Path, "v1", Padding));
        Proxy.RevokeIssuedBefore(DateTimeOffset.UtcNow);
        var restoredAt = Proxy.Requests.Count;

        var first = await InvokeVersionAsync(emulator);
        var second = await InvokeVersionAsync(emulator);
        var third = await InvokeVersionAsync(emulator);

        // The first invoke is answered from the snapshot's bundle at once (or from v1 if the check won the race); the
        // check it started has published v1 by the time it ends.
        Assert.Contains(first, new[] { "v0", "v1" });
        Assert.Equal(("v1", "v1"), (second, third));
        var lines = emulator.Lines;
        Assert.Single(lines, l => l.Contains("[extension-cache] restored from a snapshot initializationType=snap-start connections=dropped", StringComparison.Ordinal));
        Assert.Single(lines, l => l.Contains("[extension-cache] refreshing bundle=data", StringComparison.Ordinal));
        Assert.Equal(2, lines.Count(l => l.Contains("[extension-cache] published bundle=data", StringComparison.Ordinal)));
        Assert.DoesNotContain(lines, l => l.Contains("refresh failed", StringComparison.Ordinal));
        Assert.True(S3.BytesServed(key) - servedAtInit >= Padding, "the new version was downloaded after the restore");

        // Every request after the restore came with a new session from the endpoint, none was refused.
        var afterRestore = Proxy.Requests.Skip(restoredAt).ToList();
        Assert.NotEmpty(afterRestore);
        Assert.All(afterRestore, r => Assert.Null(r.Refusal));
        Assert.All(afterRestore, r => Assert.True(r.Session > 1, $"{r.Method} {r.Path} with session {r.Session}"));

        // The control: a request signed with the INIT's session is refused now.
        var error = await Assert.ThrowsAsync<AmazonS3Exception>(() => GetWithSessionAsync(key, initSession));
        Assert.Equal("ExpiredToken", error.ErrorCode);
    }

    [Fact]
    public async Task Credentials_that_expire_during_a_long_lived_environment_are_renewed_and_no_request_fails()
    {
        var key = await UploadAsync("v0");

        // Sessions of 3 s (a new one from the second half on), a check every second: over 12 s every session the
        // extension used has expired several times over.
        var request = SnapStartRequest(key, ("EXTENSION_CACHE_REFRESH_SECONDS", "1"), ("EXTENSION_CACHE_REFRESH_WAIT_MS", "10000")) with
        {
            Options = ["--snapstart", "--credentials-lifetime", "3"],
        };
        await using var emulator = await ServeModeEmulator.StartAsync(Layout, request, Output);
        var started = DateTimeOffset.UtcNow;
        var invokes = 0;
        while (DateTimeOffset.UtcNow - started < TimeSpan.FromSeconds(12))
        {
            Assert.Equal("v0", await InvokeVersionAsync(emulator));
            invokes++;
            await Task.Delay(1100);
        }

        var requests = Proxy.Requests;
        Assert.All(requests, r => Assert.Null(r.Refusal));
        var sessions = requests.Select(r => r.Session).Distinct().Count();
        var checks = requests.Count(r => r.Method == "HEAD");
        Output.WriteLine($"{invokes} invokes, {checks} checks, {requests.Count} requests in {sessions} sessions");
        Assert.True(checks >= 5, $"{checks} checks");
        Assert.True(sessions >= 3, $"{sessions} sessions");
        var first = SessionCheckingProxy.ParseSession(requests[0].Token)!.Value;
        Assert.True(first.Expires < requests[^1].At, "the INIT's session expired while the environment lived");
        Assert.DoesNotContain(emulator.Lines, l => l.Contains("refresh failed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_bundle_that_cannot_fit_SnapStarts_tmp_fails_INIT_before_it_downloads()
    {
        // 600 MiB of zeros: a zip of about 600 KB that declares more than SnapStart's 512 MB of /tmp.
        var tree = Work.Combine("huge");
        Directory.CreateDirectory(tree);
        using (var zeros = File.Create(Path.Join(tree, "zeros.bin")))
        {
            zeros.SetLength(600L * 1024 * 1024);
        }

        var zip = Work.Combine("huge.zip");
        ZipFile.CreateFromDirectory(tree, zip, CompressionLevel.Fastest, includeBaseDirectory: false);
        var key = $"snapstart/{Guid.NewGuid():N}.zip";
        await S3.UploadAsync(key, zip);

        var request = SnapStartRequest(key);
        await using var emulator = await ServeModeEmulator.StartAsync(Layout, request, Output);

        var lines = emulator.Lines;
        var failure = Assert.Single(lines, l => l.Contains("[extension-cache] bundle failed bundle=data", StringComparison.Ordinal));
        Assert.Contains("errorType=Extension.BundleTooLarge", failure, StringComparison.Ordinal);
        Assert.Contains("the zip declares 629145600 unpacked bytes", failure, StringComparison.Ordinal);
        Assert.Contains("SnapStart's /tmp: ephemeral storage is at most 512 MB", failure, StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("INIT_REPORT ", StringComparison.Ordinal) && l.EndsWith("Status: error Error Type: Extension.BundleTooLarge", StringComparison.Ordinal));
        var served = S3.BytesServed(key);
        Assert.True(served < new FileInfo(zip).Length / 4, $"{served} of {new FileInfo(zip).Length} bytes were downloaded");
        Assert.False(Path.Exists(Path.Join(request.TmpDirectory, "extension-cache", "data")));
    }

    [Fact]
    public async Task Provisioned_an_environment_idle_past_its_period_checks_at_its_first_invoke_with_fresh_connections()
    {
        var key = await UploadAsync("v0");
        var request = new ServeModeRequest
        {
            Layers = [Layer.LayerZip],
            Function = VersionEchoRuntime.Write(Work.Combine($"function-{Guid.NewGuid():N}"), "data"),
            TmpDirectory = NewTmp("provisioned"),
            Environment = BundleEnvironment(
                $"data=s3://{S3ServerFixture.Bucket}/{key}",
                ("EXTENSION_CACHE_REFRESH_SECONDS", "2"),
                ("EXTENSION_CACHE_REFRESH_WAIT_MS", "10000"),
                ("AWS_LAMBDA_INITIALIZATION_TYPE", "provisioned-concurrency")),
            TimeoutSeconds = 30,
        };
        await using var emulator = await ServeModeEmulator.StartAsync(Layout, request, Output);

        // Initialised ahead of traffic; a new version arrives while it idles longer than its period.
        await S3.UploadAsync(key, VersionEchoRuntime.Archive(Work.Path, "v1", Padding));
        await Task.Delay(TimeSpan.FromSeconds(3));
        await InvokeVersionAsync(emulator);

        // The first invoke's check publishes v1 in the background; later invokes serve it once it is published.
        var served = await InvokeVersionAsync(emulator);
        var until = DateTimeOffset.UtcNow + Generous.Wait;
        while (served != "v1" && DateTimeOffset.UtcNow < until)
        {
            served = await InvokeVersionAsync(emulator);
        }

        Assert.Equal("v1", served);
        var lines = emulator.Lines;
        Assert.Single(lines, l => l.Contains("[extension-cache] first invoke after a provisioned INIT initializationType=provisioned-concurrency connections=dropped", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("restored from a snapshot", StringComparison.Ordinal));
    }

    private async Task<string> UploadAsync(string version)
    {
        var key = $"snapstart/{Guid.NewGuid():N}.zip";
        await S3.UploadAsync(key, VersionEchoRuntime.Archive(Work.Path, version, Padding));
        return key;
    }

    /// <summary>--snapstart, s3rver through the session-checking proxy; the keys are given to the emulator, which serves them only through its endpoint.</summary>
    private ServeModeRequest SnapStartRequest(string key, params (string Key, string Value)[] extra)
    {
        var environment = BundleEnvironment($"data=s3://{S3ServerFixture.Bucket}/{key}", extra);
        environment["AWS_ENDPOINT_URL_S3"] = Proxy.Endpoint.ToString().TrimEnd('/');
        return new ServeModeRequest
        {
            Layers = [Layer.LayerZip],
            Function = VersionEchoRuntime.Write(Work.Combine($"function-{Guid.NewGuid():N}"), "data"),
            TmpDirectory = NewTmp($"snapstart-{Guid.NewGuid():N}"),
            Environment = environment,
            TimeoutSeconds = 30,
            Options = ["--snapstart"],
        };
    }

    /// <summary>The extension's environment (from /proc): no key variables, the container credentials endpoint instead.</summary>
    private static void AssertNoKeyVariables(int pid)
    {
        var variables = File.ReadAllText($"/proc/{pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(v => v.Split('=', 2)[0]).ToHashSet(StringComparer.Ordinal);
        Assert.DoesNotContain("AWS_ACCESS_KEY_ID", variables);
        Assert.DoesNotContain("AWS_SECRET_ACCESS_KEY", variables);
        Assert.DoesNotContain("AWS_SESSION_TOKEN", variables);
        Assert.Contains("AWS_CONTAINER_CREDENTIALS_FULL_URI", variables);
        Assert.Contains("AWS_CONTAINER_AUTHORIZATION_TOKEN", variables);
    }

    private async Task GetWithSessionAsync(string key, string sessionToken)
    {
        using var client = new AmazonS3Client(
            new SessionAWSCredentials("S3RVER", "S3RVER", sessionToken),
            new AmazonS3Config { ServiceURL = Proxy.Endpoint.ToString(), ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });
        using var response = await client.GetObjectAsync(new GetObjectRequest { BucketName = S3ServerFixture.Bucket, Key = key, ByteRange = new ByteRange(0, 0) });
    }

    private static async Task<string> InvokeVersionAsync(ServeModeEmulator emulator)
    {
        var answer = await emulator.InvokeAsync("{}").WaitAsync(Generous.Wait);
        Assert.False(answer.IsError, answer.Body);
        var body = JsonDocument.Parse(answer.Body).RootElement;
        var version = body.GetProperty("version").GetString()!;
        Assert.Equal(version, body.GetProperty("check").GetString());
        return version;
    }
}
