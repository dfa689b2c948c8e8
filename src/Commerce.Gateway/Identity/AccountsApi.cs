using System.Security.Claims;
using Commerce.Accounts;
using Commerce.Grains.Carts;
using Orleans;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace Commerce.Gateway.Identity;

public sealed record RegisterRequest(string? Email, string? Password);

public sealed record LoginRequest(string? Email, string? Password);

public sealed record RefreshRequest(string? RefreshToken);

public sealed record AccountResponse(string AccountId, string Email, AccountRole Role, DateTimeOffset CreatedAt);

/// <summary>
/// Customer accounts: register, sign in (bearer + refresh token, merging the guest cart of the
/// anonymous token the caller still holds), refresh, sign out. Operators sign in here too, but their
/// accounts come only from the CLI (<c>operator create</c>), never from registration.
/// </summary>
internal static class AccountsApi
{
    public static IEndpointRouteBuilder MapAccountsApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/v1/accounts").WithTags("Accounts");
        api.MapPost("", Register)
            .WithName("RegisterCustomer").WithSummary("Creates a customer account (email and password)")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RateLimitedAs(RateLimitedAction.AccountSignIn);
        api.MapPost("/login", Login)
            .WithName("SignIn").WithSummary("Signs in with email and password; a guest's cart (from the anonymous bearer token sent along) moves into the customer's cart")
            .Produces<AccessTokenResponse>().ProducesProblem(StatusCodes.Status401Unauthorized)
            .RateLimitedAs(RateLimitedAction.AccountSignIn);
        api.MapPost("/refresh", Refresh)
            .WithName("RefreshToken").WithSummary("Exchanges a refresh token of a live session for new tokens")
            .Produces<AccessTokenResponse>().ProducesProblem(StatusCodes.Status401Unauthorized)
            .RateLimitedAs(RateLimitedAction.AccountSignIn);
        api.MapPost("/logout", Logout).RequireAuthorization(policy => policy.RequireClaim(GatewayIdentity.SessionIdClaim))
            .WithName("SignOut").WithSummary("Ends the session: its access and refresh tokens stop working");
        api.MapGet("/me", Me).RequireAuthorization(policy => policy.RequireClaim(GatewayIdentity.SessionIdClaim))
            .WithName("GetMyAccount").WithSummary("The signed-in account")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return routes;
    }

    private static async Task<Results<Created<AccountResponse>, ValidationProblem, ProblemHttpResult>> Register(RegisterRequest request, AccountStore accounts)
    {
        var errors = new FieldErrors()
            .Check(IsEmail(request.Email), "email", "An email address (at most 254 characters) is required.")
            .Check(request.Password is { Length: >= AccountStore.MinimumPasswordLength and <= 128 }, "password", $"A password has {AccountStore.MinimumPasswordLength} to 128 characters.");
        if (errors.Any)
        {
            return errors.Problem();
        }
        var (outcome, account) = await accounts.Register(request.Email!, request.Password!, AccountRole.Customer);
        return outcome == RegistrationOutcome.Created
            ? TypedResults.Created("/api/v1/accounts/me", ToResponse(account!))
            : Problems.About(StatusCodes.Status409Conflict, "The request conflicts with the current state.", "email-taken", "email", "An account with this email exists; sign in instead.");
    }

    private static async Task<Results<SignInHttpResult, ValidationProblem, ProblemHttpResult>> Login(LoginRequest request, ClaimsPrincipal caller, AccountStore accounts, IGrainFactory grains)
    {
        var errors = new FieldErrors()
            .Check(!string.IsNullOrWhiteSpace(request.Email), "email", "The email is required.")
            .Check(!string.IsNullOrEmpty(request.Password), "password", "The password is required.");
        if (errors.Any)
        {
            return errors.Problem();
        }
        if (await accounts.CheckPassword(request.Email!, request.Password!) is not { } account)
        {
            return Problems.Unauthorized("invalid-credentials", "The email or password is wrong.");
        }
        if (account.Role == AccountRole.Customer && caller.GuestCustomerId() is { } guest)
        {
            await grains.GetGrain<ICartGrain>(account.AccountId).MergeGuestCart(guest);
        }
        var session = await accounts.StartSession(account.AccountId);
        return TypedResults.SignIn(GatewayIdentity.SignedIn(account, session), authenticationScheme: BearerTokenDefaults.AuthenticationScheme);
    }

    /// <summary>As Identity's own refresh endpoint does: the refresh token must be ours and unexpired, and here also of a session not logged out.</summary>
    private static async Task<Results<SignInHttpResult, ValidationProblem, ProblemHttpResult>> Refresh(
        RefreshRequest request, IOptionsMonitor<BearerTokenOptions> bearer, AccountStore accounts, TimeProvider clock)
    {
        if (string.IsNullOrEmpty(request.RefreshToken))
        {
            return Problems.Invalid("refreshToken", "The refresh token is required.");
        }
        var ticket = bearer.Get(BearerTokenDefaults.AuthenticationScheme).RefreshTokenProtector.Unprotect(request.RefreshToken);
        if (ticket?.Properties.ExpiresUtc is not { } expires || expires <= clock.GetUtcNow() ||
            ticket.Principal.FindFirstValue(GatewayIdentity.SessionIdClaim) is not { } session ||
            ticket.Principal.FindFirstValue(ClaimTypes.NameIdentifier) is not { } accountId ||
            !await accounts.IsSessionLive(session, accountId) ||
            await accounts.Find(accountId) is not { } account)
        {
            return Problems.Unauthorized("refresh-token-invalid", "The refresh token is invalid, expired or of a session that signed out.");
        }
        return TypedResults.SignIn(GatewayIdentity.SignedIn(account, session), authenticationScheme: BearerTokenDefaults.AuthenticationScheme);
    }

    private static async Task<NoContent> Logout(ClaimsPrincipal user, AccountStore accounts)
    {
        await accounts.RevokeSession(user.FindFirstValue(GatewayIdentity.SessionIdClaim)!);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<AccountResponse>, ProblemHttpResult>> Me(ClaimsPrincipal user, AccountStore accounts) =>
        await accounts.Find(user.FindFirstValue(ClaimTypes.NameIdentifier)!) is { } account
            ? TypedResults.Ok(ToResponse(account))
            : Problems.NotFound("unknown-account", "The account no longer exists.");

    private static AccountResponse ToResponse(Account account) => new(account.AccountId, account.Email, account.Role, account.CreatedAt);

    /// <summary>A light check (one @, something either side, no spaces): the real test of an address is mail reaching it.</summary>
    internal static bool IsEmail(string? email) =>
        email is { Length: > 2 and <= 254 } && email.Trim() == email && email.Count(c => c == '@') == 1 &&
        email.IndexOf('@') is > 0 and var at && at < email.Length - 1 && !email.Any(char.IsWhiteSpace);
}
