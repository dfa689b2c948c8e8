using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Commerce.Runtime.Telemetry;
using Microsoft.Extensions.Options;

namespace Commerce.Gateway.Dashboard;

/// <summary>One silo's telemetry at one sample, or why it could not be read.</summary>
public sealed record SiloReading(string SiloId, MemberSnapshot? Member, SiloSnapshot? Snapshot, string? Problem);

/// <summary>
/// Reads this silo's telemetry in process and every other live member's over HTTP
/// (<c>GET /api/v1/silo/telemetry</c> on its advertised HTTP port), in parallel, each with a short
/// timeout: a slow or dead silo shows as unreachable instead of stalling the dashboard.
/// </summary>
public sealed class ClusterTelemetryReader(SiloTelemetry telemetry, IHttpClientFactory clients, DashboardViewers viewers, IOptions<DashboardOptions> options)
{
    public const string HttpClientName = "dashboard-peers";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public async Task<IReadOnlyList<SiloReading>> ReadAsync(CancellationToken cancellationToken)
    {
        var local = telemetry.Snapshot();
        var localId = local.Cluster?.SiloId ?? local.Silo;
        var members = local.Cluster?.Members ?? [];
        var readings = new List<Task<SiloReading>>();
        readings.Add(Task.FromResult(new SiloReading(localId, members.FirstOrDefault(m => m.SiloId == localId), local, null)));
        foreach (var member in members.Where(m => m.SiloId != localId))
        {
            readings.Add(member.Status == "Dead" || member.HttpPort is null
                ? Task.FromResult(new SiloReading(member.SiloId, member, null, member.HttpPort is null ? "no HTTP port advertised" : null))
                : ReadPeerAsync(member, cancellationToken));
        }
        return await Task.WhenAll(readings);
    }

    private async Task<SiloReading> ReadPeerAsync(MemberSnapshot member, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.PeerTimeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{member.Address}:{member.HttpPort}/api/v1/silo/telemetry");
            if (viewers.Authorization is { } authorization && AuthenticationHeaderValue.TryParse(authorization, out var header))
            {
                request.Headers.Authorization = header;
            }
            using var response = await clients.CreateClient(HttpClientName).SendAsync(request, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                return new SiloReading(member.SiloId, member, null, $"telemetry answered {(int)response.StatusCode}");
            }
            var snapshot = await response.Content.ReadFromJsonAsync<SiloSnapshot>(Json, timeout.Token);
            return new SiloReading(member.SiloId, member, snapshot, null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new SiloReading(member.SiloId, member, null, $"no answer within {options.Value.PeerTimeout.TotalMilliseconds:0} ms");
        }
        catch (Exception e) when (e is HttpRequestException or JsonException)
        {
            return new SiloReading(member.SiloId, member, null, e.Message);
        }
    }
}
