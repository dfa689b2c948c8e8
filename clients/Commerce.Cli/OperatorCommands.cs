using Commerce.Accounts;
using Microsoft.AspNetCore.Identity;
using Npgsql;

namespace Commerce.Cli;

/// <summary><c>operator create</c>: operator accounts exist only because someone with database access made them here.</summary>
internal static class OperatorCommands
{
    public static async Task<int> Create(string connectionString, string email, string password, TextWriter output, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            await output.WriteLineAsync("No database: pass --connection or set Commerce__Postgres__ConnectionString.");
            return 2;
        }
        if (password.Length < AccountStore.MinimumPasswordLength || !email.Contains('@'))
        {
            await output.WriteLineAsync($"An email address and a password of at least {AccountStore.MinimumPasswordLength} characters are required.");
            return 2;
        }
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var (outcome, account) = await CreateOperator(dataSource, email, password, cancellationToken);
        await output.WriteLineAsync(outcome == RegistrationOutcome.Created
            ? $"Operator {account!.Email} created ({account.AccountId}); sign in at POST /api/v1/accounts/login."
            : $"An account with the email {email} exists already; nothing changed.");
        return outcome == RegistrationOutcome.Created ? 0 : 1;
    }

    public static async Task<(RegistrationOutcome, Account?)> CreateOperator(NpgsqlDataSource dataSource, string email, string password, CancellationToken cancellationToken)
    {
        await Persistence.PostgresMigrator.MigrateAsync(dataSource, typeof(AccountStore).Assembly, "accounts", cancellationToken);
        return await new AccountStore(dataSource, new PasswordHasher<Account>()).Register(email, password, AccountRole.Operator, cancellationToken);
    }
}
