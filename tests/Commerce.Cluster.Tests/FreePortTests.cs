using System.Net;
using System.Net.Sockets;
using Commerce.Testing;

namespace Commerce.Cluster.Tests;

/// <summary>
/// The ports the harness gives silo processes: never one the kernel may hand an outgoing connection in
/// the moment before the silo binds it (that made a silo fail to start), never the same one twice.
/// </summary>
public sealed class FreePortTests
{
    [Fact]
    public void Ports_are_below_the_ephemeral_range_distinct_and_free()
    {
        var ephemeralStart = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split('\t', ' ')[0]);
        var ports = Enumerable.Range(0, 200).Select(_ => SiloProcess.FreePort()).ToList();

        Assert.All(ports, port => Assert.InRange(port, 10000, ephemeralStart - 1));
        Assert.Equal(ports.Count, ports.Distinct().Count());
        foreach (var port in ports.Take(20))
        {
            using var listener = new TcpListener(IPAddress.Any, port);
            listener.Start(); // throws if something holds it
        }
    }
}
