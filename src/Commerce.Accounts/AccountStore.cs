using Commerce.Persistence;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Commerce.Accounts;

public enum AccountRole
{
    Customer,
    Operator,
}

public sealed record Account(string AccountId, string Email, AccountRole Role, DateTimeOffset CreatedAt);

public enum RegistrationOutcome
{
    Created,
    EmailTaken,
}

/// <summary>
/// Accounts and sessions in PostgreSQL. Passwords are hashed with Identity's <see cref="PasswordHasher{TUser}"/>
/// (PBKDF2, salted, versioned so that stronger parameters rehash on the next sign-in).
/// </summary>
public sealed class AccountStore(NpgsqlDataSource dataSource, IPasswordHasher<Account> hasher)
{
    public const int MinimumPasswordLength = 8;

    /// <summary>Emails compare case-insensitively and without surrounding spaces.</summary>
    public static string Normalize(string email) => email.Trim().ToUpperInvariant();

    public async Task<(RegistrationOutcome Outcome, Account? Account)> Register(string email, string password, AccountRole role, CancellationToken cancellationToken = default)
    {
        var prefix = role == AccountRole.Operator ? "op_" : "cus_";
        var account = new Account(prefix + Guid.NewGuid().ToString("N")[..20], email.Trim(), role, DateTimeOffset.UtcNow);
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO accounts (account_id, email, normalized_email, password_hash, role, created_at) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (normalized_email) DO NOTHING
            """);
        command.Parameters.Add(new() { Value = account.AccountId });
        command.Parameters.Add(new() { Value = account.Email });
        command.Parameters.Add(new() { Value = Normalize(email) });
        command.Parameters.Add(new() { Value = hasher.HashPassword(account, password) });
        command.Parameters.Add(new() { Value = RoleName(role) });
        command.Parameters.Add(new() { Value = account.CreatedAt });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1 ? (RegistrationOutcome.Created, account) : (RegistrationOutcome.EmailTaken, null);
    }

    /// <summary>The account when the password matches, else null (an unknown email and a wrong password look the same).</summary>
    public async Task<Account?> CheckPassword(string email, string password, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("SELECT account_id, email, role, created_at, password_hash FROM accounts WHERE normalized_email = $1");
        command.Parameters.Add(new() { Value = Normalize(email) });
        Account account;
        string hash;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }
            account = new Account(reader.GetString(0), reader.GetString(1), ParseRole(reader.GetString(2)), reader.GetFieldValue<DateTimeOffset>(3));
            hash = reader.GetString(4);
        }
        var verdict = hasher.VerifyHashedPassword(account, hash, password);
        if (verdict == PasswordVerificationResult.Failed)
        {
            return null;
        }
        if (verdict == PasswordVerificationResult.SuccessRehashNeeded)
        {
            await using var rehash = dataSource.CreateCommand("UPDATE accounts SET password_hash = $2 WHERE account_id = $1");
            rehash.Parameters.Add(new() { Value = account.AccountId });
            rehash.Parameters.Add(new() { Value = hasher.HashPassword(account, password) });
            await rehash.ExecuteNonQueryAsync(cancellationToken);
        }
        return account;
    }

    public async Task<Account?> Find(string accountId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("SELECT account_id, email, role, created_at FROM accounts WHERE account_id = $1");
        command.Parameters.Add(new() { Value = accountId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new Account(reader.GetString(0), reader.GetString(1), ParseRole(reader.GetString(2)), reader.GetFieldValue<DateTimeOffset>(3))
            : null;
    }

    /// <summary>Starts a session for a sign-in; its id goes into the tokens.</summary>
    public async Task<string> StartSession(string accountId, CancellationToken cancellationToken = default)
    {
        var sessionId = Guid.NewGuid().ToString("N");
        await using var command = dataSource.CreateCommand("INSERT INTO account_sessions (session_id, account_id) VALUES ($1, $2)");
        command.Parameters.Add(new() { Value = sessionId });
        command.Parameters.Add(new() { Value = accountId });
        await command.ExecuteNonQueryAsync(cancellationToken);
        return sessionId;
    }

    /// <summary>True while the session exists and was not revoked (logged out).</summary>
    public async Task<bool> IsSessionLive(string sessionId, string accountId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM account_sessions WHERE session_id = $1 AND account_id = $2 AND revoked_at IS NULL)");
        command.Parameters.Add(new() { Value = sessionId });
        command.Parameters.Add(new() { Value = accountId });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task RevokeSession(string sessionId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("UPDATE account_sessions SET revoked_at = now() WHERE session_id = $1 AND revoked_at IS NULL");
        command.Parameters.Add(new() { Value = sessionId });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string RoleName(AccountRole role) => role == AccountRole.Operator ? "operator" : "customer";

    private static AccountRole ParseRole(string role) => role == "operator" ? AccountRole.Operator : AccountRole.Customer;
}

public static class AccountsServiceCollectionExtensions
{
    /// <summary>The account store, Identity's password hasher and the tables' migrations; needs the PostgreSQL data source.</summary>
    public static IServiceCollection AddCommerceAccounts(this IServiceCollection services)
    {
        services.AddSingleton<IPasswordHasher<Account>, PasswordHasher<Account>>();
        services.AddSingleton<AccountStore>();
        services.AddPostgresMigrations(typeof(AccountStore).Assembly, "accounts");
        return services;
    }
}
