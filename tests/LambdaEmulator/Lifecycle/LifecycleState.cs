using System.Threading.Channels;

namespace LambdaEmulator.Lifecycle;

/// <summary>
/// What the APIs and the lifecycle share during one INIT-to-SHUTDOWN span of the sandbox (a reset starts a new
/// one, so calls from processes of a previous span find nothing). Every change pulses a signal the lifecycle
/// waits on, so the lifecycle never polls. Several invokes may be in flight at once (--concurrency): each is
/// matched to the runtime's answer by its request id.
/// </summary>
public sealed class LifecycleState(IReadOnlySet<string> extensionFiles, bool managedInstances)
{
    public const int MaxExtensions = 10;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, ExtensionAgent> _agents = new(StringComparer.Ordinal);
    private readonly Channel<Invocation> _invocations = Channel.CreateUnbounded<Invocation>();
    private readonly HashSet<string> _exited = new(StringComparer.Ordinal);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<string, Invocation> _inFlight = new(StringComparer.Ordinal);
    private bool _registrationOpen = true;
    private int _runtimeWaiters;
    private int _restoreWaiters;
    private bool _restoreReleased;
    private readonly TaskCompletionSource _restoreRelease = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private SandboxFailure? _restoreFailure;
    private bool _shuttingDown;
    private SandboxFailure? _failure;

    public SandboxFailure? Failure
    {
        get
        {
            lock (_gate)
            {
                return _failure;
            }
        }
    }

    public IReadOnlyList<ExtensionAgent> Agents
    {
        get
        {
            lock (_gate)
            {
                return [.. _agents.Values];
            }
        }
    }

    public ExtensionAgent? FindAgent(string? id)
    {
        lock (_gate)
        {
            return id is not null && _agents.TryGetValue(id, out var agent) ? agent : null;
        }
    }

    public RegistrationResult Register(string? name, IReadOnlyList<string>? events)
    {
        lock (_gate)
        {
            if (!_registrationOpen)
            {
                return RegistrationResult.Rejected(403, "Extension.RegistrationClosed", "Extension registration is closed: INIT has started the runtime");
            }

            if (string.IsNullOrEmpty(name) || !extensionFiles.Contains(name))
            {
                return RegistrationResult.Rejected(403, "Extension.InvalidExtensionName", $"'{name}' is not a file in /opt/extensions");
            }

            var eventList = events ?? [];
            var invalid = eventList.FirstOrDefault(e => e is not ("INVOKE" or "SHUTDOWN"));
            if (invalid is not null)
            {
                return RegistrationResult.Rejected(403, "Extension.InvalidEventType", $"Unknown event type '{invalid}'");
            }

            if (managedInstances && eventList.Contains("INVOKE"))
            {
                return RejectInvokeOnManagedInstances();
            }

            if (_agents.Values.Any(a => a.Name == name))
            {
                return RegistrationResult.Rejected(403, "Extension.InvalidExtensionState", $"Extension '{name}' is already registered");
            }

            if (_agents.Count >= MaxExtensions)
            {
                return RegistrationResult.Rejected(403, "Extension.TooManyExtensions", $"At most {MaxExtensions} extensions can register");
            }

            var agent = new ExtensionAgent(name, [.. eventList.Distinct(StringComparer.Ordinal)]);
            _agents[agent.Id] = agent;
            Pulse();
            return new RegistrationResult(agent, 200, null, null);
        }
    }

    /// <summary>Waits in event/next; null when the request is abandoned.</summary>
    public async Task<string> NextExtensionEventAsync(ExtensionAgent agent, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            agent.NextCalls++;
            Pulse();
        }

        return await agent.Queue.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
    }

    public void ReportExtensionError(ExtensionAgent agent, string errorType, string body, bool duringInit)
    {
        lock (_gate)
        {
            agent.ReportedError = errorType;
            if (!_shuttingDown)
            {
                _failure ??= new SandboxFailure(errorType, $"Extension {agent.Name} reported {(duringInit ? "init" : "exit")} error {errorType}", body);
            }

            Pulse();
        }
    }

    /// <summary>One runtime worker's runtime/invocation/next: several may wait at once, each gets its own invoke.</summary>
    public async Task<Invocation> NextInvocationAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _runtimeWaiters++;
            Pulse();
        }

        try
        {
            return await _invocations.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                _runtimeWaiters--;
            }
        }
    }

    /// <summary>
    /// SnapStart: the runtime's <c>GET /runtime/restore/next</c>, called when its init (and its before-snapshot hooks)
    /// is done; it returns at the restore (<see cref="ReleaseRestore"/>). False when the call is out of place (a second
    /// call, or after the restore).
    /// </summary>
    public async Task<bool> WaitForRestoreAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_restoreReleased || _restoreWaiters > 0)
            {
                return false;
            }

            _restoreWaiters++;
            Pulse();
        }

        try
        {
            await _restoreRelease.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        finally
        {
            lock (_gate)
            {
                _restoreWaiters--;
            }
        }
    }

    /// <summary>The restore answers <c>restore/next</c>; true when the runtime was waiting in it (its after-restore hooks run next).</summary>
    public bool ReleaseRestore()
    {
        lock (_gate)
        {
            var waiting = _restoreWaiters > 0;
            _restoreReleased = true;
            _restoreRelease.TrySetResult();
            Pulse();
            return waiting;
        }
    }

    /// <summary>The runtime's <c>POST /runtime/restore/error</c>: its after-restore hooks failed.</summary>
    public void ReportRestoreError(string errorType, string body)
    {
        lock (_gate)
        {
            _restoreFailure ??= new SandboxFailure(errorType, "The runtime reported a restore error", body);
            Pulse();
        }
    }

    public SandboxFailure? RestoreFailure
    {
        get
        {
            lock (_gate)
            {
                return _restoreFailure;
            }
        }
    }

    /// <summary>The runtime waits in <c>runtime/invocation/next</c> (after a restore: its after-restore hooks are done).</summary>
    public bool RuntimeWaiting
    {
        get
        {
            lock (_gate)
            {
                return _runtimeWaiters > 0;
            }
        }
    }

    /// <summary>Records the runtime's answer; false when the request id is no invoke in flight or is answered already.</summary>
    public bool Answer(string requestId, InvocationAnswer answer)
    {
        lock (_gate)
        {
            if (!_inFlight.TryGetValue(requestId, out var invocation) || invocation.Answer is not null)
            {
                return false;
            }

            invocation.Answer = answer;
            Pulse();
            return true;
        }
    }

    public void ReportRuntimeInitError(string errorType, string body)
    {
        lock (_gate)
        {
            _failure ??= new SandboxFailure(errorType, "The runtime reported an init error", body);
            Pulse();
        }
    }

    public void Fail(SandboxFailure failure)
    {
        lock (_gate)
        {
            _failure ??= failure;
            Pulse();
        }
    }

    /// <summary>A sandbox process ended; before SHUTDOWN that is a failure (Extension.Crash for any exit code).</summary>
    public void ProcessExited(string name, bool isRuntime, int exitCode)
    {
        lock (_gate)
        {
            if (!isRuntime)
            {
                _exited.Add(name);
            }

            if (!_shuttingDown && _failure is null)
            {
                var reported = isRuntime ? null : _agents.Values.FirstOrDefault(a => a.Name == name)?.ReportedError;
                _failure = isRuntime
                    ? new SandboxFailure("Runtime.ExitError", $"Runtime exited with error: exit status {exitCode}")
                    : new SandboxFailure(reported ?? "Extension.Crash", $"Extension {name} exited with status {exitCode} before SHUTDOWN");
            }

            Pulse();
        }
    }

    public bool AllExtensionsRegistered(IEnumerable<string> launched)
    {
        lock (_gate)
        {
            return launched.All(name => _exited.Contains(name) || _agents.Values.Any(a => a.Name == name));
        }
    }

    public void CloseRegistration()
    {
        lock (_gate)
        {
            _registrationOpen = false;
        }
    }

    /// <summary>
    /// INIT ends when every extension has called next and the runtime (on Managed Instances: at least one of its
    /// workers) waits in runtime/invocation/next, or with SnapStart in runtime/restore/next.
    /// </summary>
    public bool InitComplete()
    {
        lock (_gate)
        {
            return (_runtimeWaiters > 0 || _restoreWaiters > 0) && _agents.Values.All(a => a.NextCalls > 0);
        }
    }

    public void BeginInvoke(Invocation invocation, string invokeEventJson)
    {
        lock (_gate)
        {
            _inFlight[invocation.RequestId] = invocation;
            foreach (var agent in _agents.Values.Where(a => a.WantsInvoke))
            {
                invocation.InvokeEvents.Add((agent, agent.Enqueue(invokeEventJson)));
            }

            _invocations.Writer.TryWrite(invocation);
        }
    }

    public bool IsAnswered(Invocation invocation)
    {
        lock (_gate)
        {
            return invocation.Answer is not null;
        }
    }

    /// <summary>
    /// The invoke is over: the runtime answered, every extension that got its INVOKE event called next again and, on
    /// demand, the runtime waits in next again (a Managed Instances runtime has other workers; its next is no signal).
    /// </summary>
    public bool InvokeComplete(Invocation invocation)
    {
        lock (_gate)
        {
            return invocation.Answer is not null
                && invocation.InvokeEvents.All(e => e.Agent.IsDoneWith(e.EventIndex))
                && (managedInstances || _runtimeWaiters > 0);
        }
    }

    /// <summary>The invoke has ended (reported): a late answer for it is an invalid request id.</summary>
    public void EndInvoke(Invocation invocation)
    {
        lock (_gate)
        {
            _inFlight.Remove(invocation.RequestId);
        }
    }

    /// <summary>From now on exits are expected; extensions registered for SHUTDOWN get the event.</summary>
    public IReadOnlyList<ExtensionAgent> BeginShutdown(string shutdownEventJson)
    {
        lock (_gate)
        {
            _shuttingDown = true;
            _registrationOpen = false;
            var notified = _agents.Values.Where(a => a.WantsShutdown).ToList();
            foreach (var agent in notified)
            {
                agent.Enqueue(shutdownEventJson);
            }

            Pulse();
            return notified;
        }
    }

    public async Task WaitUntilAsync(Func<LifecycleState, bool> condition, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                changed = _changed.Task;
            }

            // Evaluated outside the lock: the condition takes the lock itself; a change in between re-pulses.
            if (condition(this))
            {
                return;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Lambda Managed Instances accept SHUTDOWN only. AWS documents that INVOKE is not available there and that
    /// register then fails (extension vendors saw INIT fail with FunctionError.ExtensionInitError:
    /// honeycombio/honeycomb-lambda-extension#170, open-telemetry/opentelemetry-lambda#2083), but not the status or
    /// the error type of the answer. The emulator answers as for any event type it does not accept: 403
    /// Extension.InvalidEventType (see README, known differences).
    /// </summary>
    private static RegistrationResult RejectInvokeOnManagedInstances() =>
        RegistrationResult.Rejected(
            403, "Extension.InvalidEventType", "INVOKE is not supported on Lambda Managed Instances: register for SHUTDOWN only");

    private void Pulse()
    {
        _changed.TrySetResult();
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
