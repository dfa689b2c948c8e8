using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace Commerce.Gateway.Identity;

/// <summary>Exchanges the operator bootstrap key for an operator token.</summary>
public sealed record OperatorTokenRequest(string? Key);

/// <summary>Tokens until accounts exist: anonymous customers, and operators holding the bootstrap key.</summary>
internal static class IdentityApi
{
    public static IEndpointRouteBuilder MapIdentityApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/v1").WithTags("Identity");
        api.MapPost("/customers/anonymous", IssueAnonymousCustomerToken)
            .WithName("IssueAnonymousCustomerToken")
            .WithSummary("Issues a signed bearer token for a new anonymous customer")
            .Produces<AccessTokenResponse>();
        api.MapPost("/operators/token", IssueOperatorToken)
            .WithName("IssueOperatorToken")
            .WithSummary("Exchanges the operator bootstrap key for an operator bearer token")
            .Produces<AccessTokenResponse>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .RateLimitedAs(RateLimitedAction.OperatorLogin);
        return routes;
    }

    /// <summary>The customer id is made here, so a client can never choose whose queue place or purchase it acts on.</summary>
    private static SignInHttpResult IssueAnonymousCustomerToken() =>
        TypedResults.SignIn(GatewayIdentity.Customer("anon-" + Guid.NewGuid().ToString("N")), authenticationScheme: BearerTokenDefaults.AuthenticationScheme);

    private static Results<SignInHttpResult, ValidationProblem, ProblemHttpResult> IssueOperatorToken(OperatorTokenRequest request, IOptions<OperatorOptions> options)
    {
        if (string.IsNullOrEmpty(request.Key))
        {
            return Problems.Invalid("key", "The operator bootstrap key is required.");
        }
        var expected = options.Value.BootstrapKey;
        if (string.IsNullOrEmpty(expected))
        {
            return Problems.Unauthorized("operator-login-disabled", "Operator sign-in is disabled: no bootstrap key is configured (Commerce:Operators:BootstrapKey).");
        }
        var matches = CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(request.Key)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
        return matches
            ? TypedResults.SignIn(GatewayIdentity.Operator("bootstrap"), authenticationScheme: BearerTokenDefaults.AuthenticationScheme)
            : Problems.Unauthorized("operator-key-invalid", "The operator bootstrap key is wrong.");
    }
}
