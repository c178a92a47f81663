using System.Collections.Concurrent;
using System.Globalization;
using Amazon.Runtime;
using ExtensionCache.Extension.Sources;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace ExtensionCache.Tests.Sources;

/// <summary>
/// Credentials from the container credentials endpoint, as SnapStart functions get them. The SDK's provider does the
/// fetching and renewing; these tests pin the behaviour the extension relies on (against a real loopback endpoint that
/// answers as Lambda's does) and check the one thing the extension adds: a bound on each resolution.
/// </summary>
[Collection(ProcessEnvironmentCollection.Name)]
public sealed class ContainerCredentialsTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_hung_endpoint_fails_a_resolution_after_the_bound_as_a_retryable_error_naming_the_endpoint()
    {
        var time = new FakeTimeProvider();
        var credentials = new ContainerCredentials(new HangingCredentials(), "AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:9001/2021-04-23/credentials", TimeSpan.FromSeconds(10), time);

        var resolving = credentials.GetCredentialsAsync();
        time.Advance(TimeSpan.FromSeconds(9));
        Assert.False(resolving.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));

        var error = await Assert.ThrowsAsync<TransientSourceException>(() => resolving.WaitAsync(Generous));
        Assert.Equal(
            "no credentials: the container credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:9001/2021-04-23/credentials) did not answer within 10 s",
            error.Message);
    }

    [Fact]
    public void The_endpoint_is_used_only_when_a_variable_names_it()
    {
        Assert.False(ContainerCredentials.IsConfigured(_ => null));
        Assert.True(ContainerCredentials.IsConfigured(n => n == ContainerCredentials.FullUriVariable ? "http://127.0.0.1:9001/2021-04-23/credentials" : null));
        Assert.True(ContainerCredentials.IsConfigured(n => n == ContainerCredentials.RelativeUriVariable ? "/v2/credentials/x" : null));
    }

    [Fact]
    public async Task The_SDK_provider_renews_in_the_background_within_15_minutes_of_expiry_and_at_once_within_the_last_minute()
    {
        await using var endpoint = await CredentialsEndpoint.StartAsync();
        using var variables = new ProcessVariables(
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint.Uri),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN", CredentialsEndpoint.Token),
            ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", null),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", null));
        var credentials = ContainerCredentials.FromEnvironment(Environment.GetEnvironmentVariable);

        // Ten minutes left: in the 15-minute window. The next use gets the same session and renews behind it.
        endpoint.Lifetime = TimeSpan.FromMinutes(10);
        Assert.Equal("session-1", (await credentials.GetCredentialsAsync()).Token);
        Assert.Equal("session-1", (await credentials.GetCredentialsAsync()).Token);
        await endpoint.WaitForRequestsAsync(2, Generous);

        // The endpoint has answered the renewal; the provider stores it when that answer has been read, so the next
        // uses see a newer session once it has (each use in the window may start another renewal).
        var renewed = (await credentials.GetCredentialsAsync()).Token;
        var until = DateTimeOffset.UtcNow + Generous;
        while (renewed == "session-1" && DateTimeOffset.UtcNow < until)
        {
            await Task.Delay(20);
            renewed = (await credentials.GetCredentialsAsync()).Token;
        }

        Assert.NotEqual("session-1", renewed);
        Assert.StartsWith("session-", renewed, StringComparison.Ordinal);

        // 59 seconds left: never handed out again; the next use waits for a new session (in the background window it
        // would get the same one).
        endpoint.Lifetime = TimeSpan.FromSeconds(59);
        var fresh = ContainerCredentials.FromEnvironment(Environment.GetEnvironmentVariable);
        var first = (await fresh.GetCredentialsAsync()).Token;
        var next = (await fresh.GetCredentialsAsync()).Token;
        Assert.NotEqual(first, next);
        Assert.All(endpoint.Authorizations, a => Assert.Equal(CredentialsEndpoint.Token, a));
    }

    [Fact]
    public async Task A_refused_token_is_a_retryable_error_naming_the_endpoint()
    {
        await using var endpoint = await CredentialsEndpoint.StartAsync();
        using var variables = new ProcessVariables(
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint.Uri),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "not-the-token"),
            ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", null),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", null));
        var credentials = ContainerCredentials.FromEnvironment(Environment.GetEnvironmentVariable);

        var error = await Assert.ThrowsAsync<TransientSourceException>(() => credentials.GetCredentialsAsync().WaitAsync(Generous));

        Assert.StartsWith($"no credentials from the container credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI={endpoint.Uri}): ", error.Message, StringComparison.Ordinal);
        Assert.Contains("404", error.Message, StringComparison.Ordinal);
    }

    private sealed class HangingCredentials : AWSCredentials
    {
        public override ImmutableCredentials GetCredentials() => throw new NotSupportedException();

        public override Task<ImmutableCredentials> GetCredentialsAsync() => new TaskCompletionSource<ImmutableCredentials>().Task;
    }

    /// <summary>Answers as Lambda's endpoint does: the token in Authorization, else 404; a new session per request.</summary>
    private sealed class CredentialsEndpoint : IAsyncDisposable
    {
        public const string Token = "test-authorization-token";

        private readonly ConcurrentQueue<string> _authorizations = new();
        private LoopbackHttpHost? _host;
        private int _sessions;

        public TimeSpan Lifetime { get; set; } = TimeSpan.FromHours(1);

        public string Uri => $"http://127.0.0.1:{_host!.Port}/2021-04-23/credentials";

        public IReadOnlyList<string> Authorizations => [.. _authorizations];

        public static async Task<CredentialsEndpoint> StartAsync()
        {
            var endpoint = new CredentialsEndpoint();
            endpoint._host = await LoopbackHttpHost.StartAsync(endpoint.ServeAsync);
            return endpoint;
        }

        public async Task WaitForRequestsAsync(int count, TimeSpan timeout)
        {
            using var guard = new CancellationTokenSource(timeout);
            while (Volatile.Read(ref _sessions) < count)
            {
                await Task.Delay(10, guard.Token);
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_host is not null)
            {
                await _host.DisposeAsync();
            }
        }

        private async Task ServeAsync(HttpContext context)
        {
            var authorization = context.Request.Headers.Authorization.ToString();
            _authorizations.Enqueue(authorization);
            if (authorization != Token)
            {
                context.Response.StatusCode = 404;
                await context.Response.WriteAsync("cannot get credentials for the provided token\n");
                return;
            }

            var session = Interlocked.Increment(ref _sessions);
            var expiration = DateTime.UtcNow.Add(Lifetime).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync($$"""{"AccessKeyId":"AKID{{session}}","SecretAccessKey":"secret","Token":"session-{{session}}","Expiration":"{{expiration}}"}""");
        }
    }

    /// <summary>Sets process variables for one test and puts the old values back (the SDK's provider reads the process's own).</summary>
    private sealed class ProcessVariables : IDisposable
    {
        private readonly List<(string Name, string? Old)> _saved = [];

        public ProcessVariables(params (string Name, string? Value)[] variables)
        {
            foreach (var (name, value) in variables)
            {
                _saved.Add((name, Environment.GetEnvironmentVariable(name)));
                Environment.SetEnvironmentVariable(name, value);
            }
        }

        public void Dispose()
        {
            foreach (var (name, old) in _saved)
            {
                Environment.SetEnvironmentVariable(name, old);
            }
        }
    }
}

/// <summary>Tests that set process-wide environment variables run alone, after every parallel test.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessEnvironmentCollection
{
    public const string Name = "process environment";
}
