using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;

namespace Commerce.Bench.Harness;

/// <summary>
/// Operator access to the silos a benchmark starts: each run makes up its own bootstrap key, gives it
/// to its silo processes, and signs in with it to set up flash sales and read the operator dashboard.
/// </summary>
public static class OperatorClient
{
    private static readonly string Key = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    /// <summary>The silo setting (an environment variable) that makes <see cref="SignInAsync"/> work against it.</summary>
    public static IReadOnlyDictionary<string, string> SiloSettings { get; } =
        new Dictionary<string, string> { ["Commerce__Operators__BootstrapKey"] = Key };

    /// <summary>A client of the silo at <paramref name="httpPort"/> carrying an operator's bearer token.</summary>
    public static async Task<HttpClient> SignInAsync(int httpPort)
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.PostAsJsonAsync("/api/v1/operators/token", new { key = Key });
        response.EnsureSuccessStatusCode();
        var token = await response.Content.ReadFromJsonAsync<TokenResponse>();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token!.AccessToken);
        return http;
    }

    private sealed record TokenResponse(string AccessToken);
}
