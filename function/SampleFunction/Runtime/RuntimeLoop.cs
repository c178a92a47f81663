namespace SampleFunction.Runtime;

/// <summary>
/// A custom runtime's main loop: initialise the handler once (reporting init/error on failure), then
/// next → handle → response or error, until the process is told to stop.
/// </summary>
public sealed class RuntimeLoop(RuntimeApiClient client, TextWriter log)
{
    /// <returns>The process exit code.</returns>
    public async Task<int> RunAsync(Func<CancellationToken, Task<IStreamHandler>> initialize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(initialize);
        IStreamHandler handler;
        try
        {
            handler = await initialize(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await log.WriteLineAsync($"[sample-function] init failed: {e.GetType().Name}: {e.Message}").ConfigureAwait(false);
            await client.ReportInitErrorAsync(ErrorReport.From(e), cancellationToken).ConfigureAwait(false);
            return 1;
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            var invocation = await client.NextAsync(cancellationToken).ConfigureAwait(false);
            Stream output;
            try
            {
                using var input = new MemoryStream(invocation.Payload, writable: false);
                output = await handler.HandleAsync(input).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                await log.WriteLineAsync($"[sample-function] invoke {invocation.RequestId} failed: {e.Message}").ConfigureAwait(false);
                await client.ReportInvocationErrorAsync(invocation.RequestId, ErrorReport.From(e), cancellationToken).ConfigureAwait(false);
                continue;
            }

            await using (output.ConfigureAwait(false))
            {
                await client.RespondAsync(invocation.RequestId, output, cancellationToken).ConfigureAwait(false);
            }
        }

        return 0;
    }
}
