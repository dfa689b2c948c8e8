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
    private readonly ConcurrentDictionary<string, PeerConnection> _connections = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<PeerConnection>>> _dialing = new(StringComparer.Ordinal);
    private readonly SocketConnectionContextFactory _sockets = new(new SocketConnectionFactoryOptions(), NullLogger.Instance);

    public IEnumerable<PeerConnection> All => _connections.Values;

    public PeerConnection? Find(string endpoint) =>
        _connections.TryGetValue(endpoint, out var connection) && connection.IsOpen ? connection : null;

    /// <summary>An open connection to the silo, dialing it once if there is none.</summary>
    public async Task<PeerConnection> GetAsync(string endpoint, string address, int port)
    {
        if (Find(endpoint) is { } open)
        {
            return open;
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
        var connection = NewConnection(context.Transport);
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
        var connection = NewConnection(context.Transport);
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

    private PeerConnection NewConnection(System.IO.Pipelines.IDuplexPipe transport) =>
        new(transport, runtime.LocalEndpoint, this, runtime.Registry, runtime.WireSerializer,
            options.MaxQueuedFramesPerConnection, options.MaxInboundCallsPerConnection, runtime.Logger);

    void IPeerConnectionOwner.OnInboundCall(PeerConnection connection, long callId, Request request) =>
        runtime.Dispatcher.ReceiveRemote(connection, callId, request);

    void IPeerConnectionOwner.OnNotOwner(Request request) => runtime.Messenger!.Resend(request);

    void IPeerConnectionOwner.OnClosed(PeerConnection connection)
    {
        if (connection.RemoteEndpoint is { } remote)
        {
            _connections.TryRemove(new KeyValuePair<string, PeerConnection>(remote, connection));
        }
    }

    public void FailExpiredCalls(long nowTicks)
    {
        foreach (var connection in _connections.Values)
        {
            connection.FailExpiredCalls(nowTicks);
        }
    }

    /// <summary>Drops every connection (the silo was declared dead, or is stopping).</summary>
    public void CloseAll(string reason)
    {
        foreach (var connection in _connections.Values)
        {
            connection.Close(new SiloUnavailableException(reason));
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections.Values)
        {
            await connection.DisposeAsync();
        }
        _connections.Clear();
    }
}
