using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Threading.Channels;
using Commerce.Runtime.Activations;
using Commerce.Runtime.Invocation;
using Microsoft.Extensions.Logging;

namespace Commerce.Runtime.Messaging;

/// <summary>What a connection asks of the process it belongs to.</summary>
internal interface IPeerConnectionOwner
{
    /// <summary>A call arrived; answer it through <see cref="PeerConnection.Respond"/>.</summary>
    void OnInboundCall(PeerConnection connection, long callId, Request request);

    /// <summary>The callee did not run the call because it does not own the grain: route it again.</summary>
    void OnNotOwner(Request request);

    void OnClosed(PeerConnection connection);
}

/// <summary>
/// One TCP connection between two runtime processes, in both directions: either side sends calls
/// and answers the other's. Many calls are in flight at once, matched by id. Frames queue in a
/// bounded channel (senders wait when it is full) and one writer drains it, flushing once per
/// batch; one reader parses frames and stops reading while too many inbound calls are running, so
/// a slow silo pushes back on its callers through TCP instead of queuing without bound. When the
/// connection drops, every call waiting on it fails at once with <see cref="SiloUnavailableException"/>.
/// </summary>
internal sealed class PeerConnection : IAsyncDisposable
{
    private readonly record struct Outgoing(FrameKind Kind, long Id, Request? Request, ResponseStatus Status, object? Result, Type? ResultType, Exception? Error);

    private readonly IDuplexPipe _transport;

    // A connection this process dialed owns its socket; an accepted one belongs to Kestrel.
    private readonly IAsyncDisposable? _ownedTransport;
    private readonly IPeerConnectionOwner _owner;
    private readonly GrainRegistry _registry;
    private readonly WireSerializer _serializer;
    private readonly ILogger _logger;
    private readonly Channel<Outgoing> _outgoing;
    private readonly ConcurrentDictionary<long, Request> _pendingCalls = new();
    private readonly ConcurrentDictionary<long, TaskCompletionSource> _pendingPings = new();
    private readonly SemaphoreSlim _inboundSlots;
    private readonly CancellationTokenSource _closing = new();
    private readonly TaskCompletionSource<string> _remoteHello = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int _maxInboundCalls;
    private volatile bool _goingAway;
    private long _lastInboundCallTicks;
    private long _nextId;
    private int _closed;
    private Task? _running;

    public PeerConnection(IDuplexPipe transport, IAsyncDisposable? ownedTransport, string localEndpoint, IPeerConnectionOwner owner, GrainRegistry registry, WireSerializer serializer,
        int maxQueuedFrames, int maxInboundCalls, ILogger logger)
    {
        _transport = transport;
        _ownedTransport = ownedTransport;
        _owner = owner;
        _registry = registry;
        _serializer = serializer;
        _logger = logger;
        _outgoing = Channel.CreateBounded<Outgoing>(new BoundedChannelOptions(maxQueuedFrames) { SingleReader = true });
        _inboundSlots = new SemaphoreSlim(maxInboundCalls, maxInboundCalls);
        _maxInboundCalls = maxInboundCalls;
        LocalEndpoint = localEndpoint;
    }

    public string LocalEndpoint { get; }

    /// <summary>The peer's endpoint id (silo id or client id), known after the handshake.</summary>
    public string? RemoteEndpoint { get; private set; }

    public bool IsOpen => Volatile.Read(ref _closed) == 0;

    /// <summary>False once either side announced it is leaving: no new calls go out on this connection.</summary>
    public bool AcceptsCalls => IsOpen && !_goingAway;

    /// <summary><see cref="Environment.TickCount64"/> when the peer last sent a call.</summary>
    public long LastInboundCallTicks => Volatile.Read(ref _lastInboundCallTicks);

    /// <summary>Calls from the peer running here now.</summary>
    public int InboundInFlight => _maxInboundCalls - _inboundSlots.CurrentCount;

    public int PendingCalls => _pendingCalls.Count;

    /// <summary>Completes when the connection has closed.</summary>
    public Task Closed => _closedSignal.Task;

    /// <summary>Starts the read and write loops and exchanges endpoint ids; returns the peer's id.</summary>
    public async Task<string> StartAsync(TimeSpan handshakeTimeout)
    {
        _running = Task.WhenAll(Task.Run(WriteLoopAsync), Task.Run(ReadLoopAsync));
        Enqueue(new Outgoing(FrameKind.Hello, 0, null, default, LocalEndpoint, null, null));
        try
        {
            RemoteEndpoint = await _remoteHello.Task.WaitAsync(handshakeTimeout);
        }
        catch (TimeoutException)
        {
            Close(new SiloUnavailableException("The peer did not complete the handshake."));
            throw;
        }
        return RemoteEndpoint;
    }

    /// <summary>Sends a call; its answer completes <paramref name="request"/>. Returns false when the connection is closed.</summary>
    public bool SendCall(Request request, IReadOnlyList<(GrainId Grain, bool Reentrant)> chain)
    {
        if (!AcceptsCalls)
        {
            return false;
        }
        var id = Interlocked.Increment(ref _nextId);
        _pendingCalls[id] = request;
        if (!IsOpen && _pendingCalls.TryRemove(id, out _))
        {
            return false;
        }
        Enqueue(new Outgoing(FrameKind.Request, id, request, default, chain, null, null));
        return true;
    }

    /// <summary>Tells the peer this side is leaving, so it sends no new calls here.</summary>
    public void SayGoingAway()
    {
        _goingAway = true;
        Enqueue(new Outgoing(FrameKind.GoAway, 0, null, default, null, null, null));
    }

    public void Respond(long callId, ResponseStatus status, object? result, Type? resultType, Exception? error)
    {
        _inboundSlots.Release();
        Enqueue(new Outgoing(FrameKind.Response, callId, null, status, result, resultType, error));
    }

    /// <summary>True when the peer answered a ping within <paramref name="timeout"/>.</summary>
    public async Task<bool> PingAsync(TimeSpan timeout)
    {
        if (!IsOpen)
        {
            return false;
        }
        var id = Interlocked.Increment(ref _nextId);
        var pong = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _pendingPings[id] = pong;
        Enqueue(new Outgoing(FrameKind.Ping, id, null, default, null, null, null));
        try
        {
            await pong.Task.WaitAsync(timeout);
            return true;
        }
        catch (Exception)
        {
            return false;
        }
        finally
        {
            _pendingPings.TryRemove(id, out _);
        }
    }

    /// <summary>Fails calls waiting here past their deadline (the silo's timeout monitor calls this).</summary>
    public void FailExpiredCalls(long nowTicks)
    {
        foreach (var (id, request) in _pendingCalls)
        {
            if (nowTicks >= request.DeadlineTicks && _pendingCalls.TryRemove(id, out _))
            {
                request.TryFail(new GrainCallTimeoutException(
                    $"Call to {request.Target}.{request.Method.Name} ({request.Method.FullName}) on {RemoteEndpoint} timed out."));
            }
        }
    }

    private void Enqueue(in Outgoing frame)
    {
        if (_outgoing.Writer.TryWrite(frame))
        {
            return;
        }
        // The queue is full: wait for room (backpressure) without blocking the caller's thread.
        _ = EnqueueSlowAsync(frame);
    }

    private async Task EnqueueSlowAsync(Outgoing frame)
    {
        try
        {
            await _outgoing.Writer.WriteAsync(frame, _closing.Token);
        }
        catch (Exception)
        {
            frame.Request?.TryFail(new SiloUnavailableException($"Connection to {RemoteEndpoint} closed before the call was sent."));
        }
    }

    private async Task WriteLoopAsync()
    {
        var output = _transport.Output;
        var body = new FrameBodyWriter();
        try
        {
            var reader = _outgoing.Reader;
            while (await reader.WaitToReadAsync(_closing.Token))
            {
                while (reader.TryRead(out var frame))
                {
                    body.Reset();
                    if (!TryEncode(frame, body))
                    {
                        continue;
                    }
                    WireFrames.WriteFrame(output, frame.Kind, body.Buffer.WrittenSpan);
                }
                var flushed = await output.FlushAsync(_closing.Token);
                if (flushed.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Close(new SiloUnavailableException($"Writing to {RemoteEndpoint} failed: {e.Message}", e));
        }
        Close(new SiloUnavailableException($"Connection to {RemoteEndpoint} closed."));
    }

    /// <summary>Encodes one frame; a call whose arguments cannot be encoded fails alone, the connection goes on.</summary>
    private bool TryEncode(in Outgoing frame, FrameBodyWriter body)
    {
        switch (frame.Kind)
        {
            case FrameKind.Hello:
                body.Write((string)frame.Result!);
                return true;
            case FrameKind.Ping:
            case FrameKind.Pong:
                body.Write(frame.Id);
                return true;
            case FrameKind.GoAway:
                return true;
            case FrameKind.Request:
                var request = frame.Request!;
                try
                {
                    var (interfaceName, methodId) = _registry.WireName(request.Method);
                    body.Write(frame.Id);
                    body.Write((int)Math.Clamp(request.DeadlineTicks - Environment.TickCount64, 1, int.MaxValue));
                    body.Write(interfaceName);
                    body.Write(methodId);
                    body.Write(request.Target.Type);
                    body.Write(request.Target.Key);
                    var chain = (IReadOnlyList<(GrainId Grain, bool Reentrant)>)frame.Result!;
                    body.Write(chain.Count);
                    foreach (var (grain, reentrant) in chain)
                    {
                        body.Write(grain.Type);
                        body.Write(grain.Key);
                        body.Write(reentrant ? (byte)1 : (byte)0);
                    }
                    _serializer.WriteArguments(body.Buffer, request);
                    return true;
                }
                catch (Exception e)
                {
                    _pendingCalls.TryRemove(frame.Id, out _);
                    request.TryFail(e);
                    return false;
                }
            case FrameKind.Response:
                body.Write(frame.Id);
                try
                {
                    body.Write((byte)frame.Status);
                    if (frame.Status == ResponseStatus.Ok)
                    {
                        _serializer.WriteResult(body.Buffer, frame.Result, frame.ResultType!);
                    }
                    else if (frame.Status == ResponseStatus.Failed)
                    {
                        WireSerializer.WriteException(body.Buffer, frame.Error!);
                    }
                }
                catch (Exception e)
                {
                    // The result could not be encoded: the caller gets that error instead.
                    body.Reset();
                    body.Write(frame.Id);
                    body.Write((byte)ResponseStatus.Failed);
                    WireSerializer.WriteException(body.Buffer, new GrainSerializationException($"The result of the call could not be serialized: {e.Message}", frame.ResultType ?? typeof(object)));
                }
                return true;
            default:
                return false;
        }
    }

    private async Task ReadLoopAsync()
    {
        var input = _transport.Input;
        try
        {
            while (true)
            {
                var read = await input.ReadAsync(_closing.Token);
                var buffer = read.Buffer;
                while (WireFrames.TryReadFrame(ref buffer, out var kind, out var body))
                {
                    if (kind == FrameKind.Request && !_inboundSlots.Wait(0))
                    {
                        // Too many calls from this peer running here: stop reading until one finishes.
                        await _inboundSlots.WaitAsync(_closing.Token);
                        HandleFrame(kind, body, slotTaken: true);
                    }
                    else
                    {
                        HandleFrame(kind, body, slotTaken: kind == FrameKind.Request);
                    }
                }
                input.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Close(new SiloUnavailableException($"Reading from {RemoteEndpoint} failed: {e.Message}", e));
        }
        Close(new SiloUnavailableException($"Connection to {RemoteEndpoint} was closed by the peer."));
    }

    private void HandleFrame(FrameKind kind, ReadOnlySequence<byte> body, bool slotTaken)
    {
        var bytes = body.IsSingleSegment ? body.FirstSpan : body.ToArray();
        var reader = new FrameBodyReader(bytes);
        switch (kind)
        {
            case FrameKind.Hello:
                _remoteHello.TrySetResult(reader.ReadString());
                break;
            case FrameKind.Ping:
                Enqueue(new Outgoing(FrameKind.Pong, reader.ReadInt64(), null, default, null, null, null));
                break;
            case FrameKind.Pong:
                if (_pendingPings.TryGetValue(reader.ReadInt64(), out var pong))
                {
                    pong.TrySetResult();
                }
                break;
            case FrameKind.Request:
                HandleRequest(ref reader);
                break;
            case FrameKind.GoAway:
                _goingAway = true;
                break;
            case FrameKind.Response:
                HandleResponse(ref reader);
                break;
        }
    }

    private void HandleRequest(ref FrameBodyReader reader)
    {
        Volatile.Write(ref _lastInboundCallTicks, Environment.TickCount64);
        var callId = reader.ReadInt64();
        try
        {
            var timeout = reader.ReadInt32();
            var method = _registry.MethodFromWire(reader.ReadString(), reader.ReadInt32());
            var target = new GrainId(reader.ReadString(), reader.ReadString());
            var chainLength = reader.ReadInt32();
            var chain = new (GrainId, bool)[chainLength];
            for (var i = 0; i < chainLength; i++)
            {
                chain[i] = (new GrainId(reader.ReadString(), reader.ReadString()), reader.ReadByte() == 1);
            }
            var request = method.CreateRequest(_serializer.ReadArguments(reader.Rest, method));
            request.Target = target;
            request.RemoteChain = chain;
            request.DeadlineTicks = Environment.TickCount64 + timeout;
            request.SentTimestamp = System.Diagnostics.Stopwatch.GetTimestamp();
            _owner.OnInboundCall(this, callId, request);
        }
        catch (Exception e)
        {
            Respond(callId, ResponseStatus.Failed, null, null, e);
        }
    }

    private void HandleResponse(ref FrameBodyReader reader)
    {
        var callId = reader.ReadInt64();
        if (!_pendingCalls.TryRemove(callId, out var request))
        {
            return; // Timed out here already.
        }
        var status = (ResponseStatus)reader.ReadByte();
        try
        {
            switch (status)
            {
                case ResponseStatus.Ok:
                    request.TryCompleteBoxed(_serializer.ReadResult(reader.Rest, request.Method.ResultType));
                    break;
                case ResponseStatus.NotOwner:
                    _owner.OnNotOwner(request);
                    break;
                default:
                    request.TryFail(WireSerializer.ReadException(reader.Rest));
                    break;
            }
        }
        catch (Exception e)
        {
            request.TryFail(e);
        }
    }

    /// <summary>Closes the connection and fails everything that was waiting on it.</summary>
    public void Close(Exception reason)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }
        _logger.LogDebug("Connection {Local} ↔ {Remote} closed: {Reason}", LocalEndpoint, RemoteEndpoint, reason.Message);
        _closing.Cancel();
        _outgoing.Writer.TryComplete();
        _remoteHello.TrySetException(reason);
        foreach (var id in _pendingCalls.Keys)
        {
            if (_pendingCalls.TryRemove(id, out var request))
            {
                request.TryFail(new SiloUnavailableException(
                    $"Connection to {RemoteEndpoint ?? "the peer"} was lost while calling {request.Target}.{request.Method.Name}; the call may or may not have run.", reason));
            }
        }
        foreach (var ping in _pendingPings.Values)
        {
            ping.TrySetResult();
        }
        _transport.Input.CancelPendingRead();
        _owner.OnClosed(this);
        _closedSignal.TrySetResult();
        if (_ownedTransport is not null)
        {
            // Nobody else will: close the socket once the loops have stopped.
            _ = Task.Run(ReleaseTransportAsync);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Close(new SiloUnavailableException("Connection disposed."));
        await ReleaseTransportAsync();
    }

    private int _transportReleased;

    /// <summary>Completes the pipes and, for a dialed connection, closes its socket; once.</summary>
    private async Task ReleaseTransportAsync()
    {
        if (Interlocked.Exchange(ref _transportReleased, 1) != 0)
        {
            return;
        }
        if (_running is not null)
        {
            try
            {
                await _running;
            }
            catch
            {
                // Already reported through Close.
            }
        }
        await _transport.Input.CompleteAsync();
        await _transport.Output.CompleteAsync();
        if (_ownedTransport is not null)
        {
            await _ownedTransport.DisposeAsync();
        }
    }
}
