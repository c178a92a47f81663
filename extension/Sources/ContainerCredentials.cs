using Amazon.Runtime;
using ExtensionCache.Extension.Failures;

namespace ExtensionCache.Extension.Sources;

/// <summary>
/// The function role's credentials from Lambda's container credentials endpoint (<c>AWS_CONTAINER_CREDENTIALS_FULL_URI</c>
/// with <c>AWS_CONTAINER_AUTHORIZATION_TOKEN</c> or <c>AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE</c>), which is how Lambda
/// gives them to SnapStart functions: the key variables are not set there. The SDK's
/// <see cref="GenericContainerCredentials"/> fetches, parses (AOT-safe) and renews them: in the background from 15
/// minutes before they expire, and before any use in their last minute, so no request is signed with credentials about
/// to expire. Written here, only what the SDK lacks: a bound on each resolution (the SDK's fetch takes no cancellation,
/// and waits up to 100 s per attempt for five attempts, so a hung endpoint would hold a request past its stall timeout).
/// </summary>
public sealed class ContainerCredentials : AWSCredentials
{
    public const string FullUriVariable = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
    public const string RelativeUriVariable = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";

    /// <summary>How long one resolution may take, the SDK's own retries included.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly AWSCredentials _inner;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;
    private readonly string _endpoint;

    /// <param name="inner">The SDK's provider (a test gives another).</param>
    /// <param name="endpoint">The endpoint's variable and value, for messages.</param>
    public ContainerCredentials(AWSCredentials inner, string endpoint, TimeSpan? timeout = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _endpoint = endpoint;
        _timeout = timeout ?? DefaultTimeout;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>True when the environment names a container credentials endpoint.</summary>
    public static bool IsConfigured(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return !string.IsNullOrWhiteSpace(environment(FullUriVariable)) || !string.IsNullOrWhiteSpace(environment(RelativeUriVariable));
    }

    /// <summary>The SDK's provider for the process's environment, bounded.</summary>
    public static ContainerCredentials FromEnvironment(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var endpoint = environment(FullUriVariable) is { Length: > 0 } full
            ? $"{FullUriVariable}={full}"
            : $"{RelativeUriVariable}={environment(RelativeUriVariable)}";
        try
        {
            return new ContainerCredentials(new GenericContainerCredentials(), endpoint);
        }
        catch (ArgumentException e)
        {
            // The SDK accepts only https, loopback or the ECS/EKS link-local hosts.
            throw new BundleException(FailureKind.BundleAccessDenied, $"cannot use the container credentials endpoint ({endpoint}): {e.Message}", e);
        }
    }

    public override ImmutableCredentials GetCredentials() => GetCredentialsAsync().GetAwaiter().GetResult();

    public override async Task<ImmutableCredentials> GetCredentialsAsync()
    {
        try
        {
            return await _inner.GetCredentialsAsync().WaitAsync(_timeout, _time).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new TransientSourceException(
                $"no credentials: the container credentials endpoint ({_endpoint}) did not answer within {_timeout.TotalSeconds:0.#} s", e);
        }
        catch (AmazonServiceException e)
        {
            // The SDK's last error after its own retries: the endpoint refused or could not be reached.
            throw new TransientSourceException($"no credentials from the container credentials endpoint ({_endpoint}): {e.Message}", e);
        }
    }
}
