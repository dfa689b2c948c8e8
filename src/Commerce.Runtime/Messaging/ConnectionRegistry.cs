using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Commerce.Runtime.Cluster;
using Commerce.Runtime.Invocation;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Commerce.Runtime.Messaging;

/// <summary>
/// This process's connections to other silos and clients, by endpoint id: outbound ones it dials
/// (to silos, from the membership table) and inbound ones accepted by its listener. Either kind
/// carries calls both ways, which is how a silo reaches an observer that lives in a client.
/// </summary>
internal sealed class ConnectionRegistry(SiloRuntime runtime, ClusterOptions options) : IPeerConnectionOwner, IAsyncDisposable
{
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);
    // By endpoint for routing (the latest connection to a peer wins); all of them for draining,
    // deadlines and shutdown (two silos that dial each other have two connections).
    private readonly ConcurrentDictionary<string, PeerConnection> _connections = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<PeerConnection, byte> _all = new();
    private readonly ConcurrentDictionary<string, Lazy<Task<PeerConnection>>> _dialing = new(StringComparer.Ordinal);
    private readonly SocketConnectionContextFactory _sockets = new(new SocketConnectionFactoryOptions(), NullLogger.Instance);

    public IEnumerable<PeerConnection> All => _all.Keys;

    public PeerConnection? Find(string endpoint) =>
        _connections.TryGetValue(endpoint, out var connection) && connection.AcceptsCalls ? connection : null;

    /// <summary>An open connection to the silo, dialing it once if there is none.</summary>
    public async Task<PeerConnection> GetAsync(string endpoint, string address, int port)
    {
        if (Find(endpoint) is { } open)
        {
            return open;
        }
        if (_connections.TryGetValue(endpoint, out var leaving) && leaving.IsOpen)
        {
            throw new SiloUnavailableException($"{endpoint} is leaving the cluster.");
        }
        var dial = _dialing.GetOrAdd(endpoint, _ => new Lazy<Task<PeerConnection>>(() => DialAsync(endpoint, address, port)));
        try
        {
            return await dial.Value;
        }
        finally
        {
            _dialing.TryRemove(new KeyValuePair<string, Lazy<Task<PeerConnection>>>(endpoint, dial));
        }
    }

    private async Task<PeerConnection> DialAsync(string endpoint, string address, int port)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = new CancellationTokenSource(HandshakeTimeout);
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(address), port), timeout.Token);
        }
        catch (Exception e)
        {
            socket.Dispose();
            throw new SiloUnavailableException($"Cannot connect to {endpoint} at {address}:{port}: {e.Message}", e);
        }
        var context = _sockets.Create(socket);
        var connection = NewConnection(context.Transport, ownedContext: context);
        var remote = await connection.StartAsync(HandshakeTimeout);
        if (remote != endpoint)
        {
            // A new incarnation listens on the old address: the silo we wanted is gone.
            connection.Close(new SiloUnavailableException($"{address}:{port} is now {remote}, not {endpoint}."));
            throw new SiloUnavailableException($"Silo {endpoint} is gone; {address}:{port} is now {remote}.");
        }
        _connections[endpoint] = connection;
        return connection;
    }

    /// <summary>Serves one inbound connection accepted by the listener, until it closes.</summary>
    public async Task AcceptAsync(ConnectionContext context)
    {
        var connection = NewConnection(context.Transport, ownedContext: null);
        var closed = new TaskCompletionSource();
        context.ConnectionClosed.Register(() => closed.TrySetResult());
        string remote;
        try
        {
            remote = await connection.StartAsync(HandshakeTimeout);
        }
        catch (Exception)
        {
            await connection.DisposeAsync();
            return;
        }
        _connections[remote] = connection;
        await using (connection)
        {
            await Task.WhenAny(closed.Task, connection.Closed);
        }
    }

    private PeerConnection NewConnection(System.IO.Pipelines.IDuplexPipe transport, ConnectionContext? ownedContext)
    {
        var connection = new PeerConnection(transport, ownedContext, runtime.LocalEndpoint, this, runtime.Registry, runtime.WireSerializer,
            options.MaxQueuedFramesPerConnection, options.MaxInboundCallsPerConnection, runtime.Logger);
        _all[connection] = 0;
        return connection;
    }

    void IPeerConnectionOwner.OnInboundCall(PeerConnection connection, long callId, Request request) =>
        runtime.Dispatcher.ReceiveRemote(connection, callId, request);

    void IPeerConnectionOwner.OnNotOwner(Request request) => runtime.Messenger!.Resend(request);

    void IPeerConnectionOwner.OnClosed(PeerConnection connection)
    {
        _all.TryRemove(connection, out _);
        if (connection.RemoteEndpoint is { } remote)
        {
            _connections.TryRemove(new KeyValuePair<string, PeerConnection>(remote, connection));
        }
    }

    public void FailExpiredCalls(long nowTicks)
    {
        foreach (var connection in _all.Keys)
        {
            connection.FailExpiredCalls(nowTicks);
        }
    }

    /// <summary>
    /// Planned shutdown: tells every peer to send nothing new, then waits (up to <paramref name="timeout"/>)
    /// until the calls they already sent were answered, this side's own calls came back, and no call
    /// arrived for a quiet period (one a peer sent just before it read the news is still answered,
    /// "not owner", instead of being cut off).
    /// </summary>
    public async Task DrainAsync(TimeSpan timeout)
    {
        foreach (var connection in _all.Keys)
        {
            connection.SayGoingAway();
        }
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            const long quietMilliseconds = 250;
            while (_all.Keys.Any(c => c.IsOpen && (c.InboundInFlight > 0 || c.PendingCalls > 0 ||
                Environment.TickCount64 - c.LastInboundCallTicks < quietMilliseconds)))
            {
                await Task.Delay(10, deadline.Token);
            }
        }
        catch (OperationCanceledException)
        {
            runtime.Logger.LogWarning("Connections still had calls in flight when the silo stopped");
        }
    }

    /// <summary>Drops every connection (the silo was declared dead, or is stopping).</summary>
    public void CloseAll(string reason)
    {
        foreach (var connection in _all.Keys)
        {
            connection.Close(new SiloUnavailableException(reason));
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _all.Keys)
        {
            await connection.DisposeAsync();
        }
        _connections.Clear();
        _all.Clear();
    }
}
