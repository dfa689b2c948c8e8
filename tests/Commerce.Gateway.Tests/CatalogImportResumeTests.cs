using System.Net;
using Commerce.Catalog.Import;
using Commerce.Grains.CatalogChanges;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using static Commerce.Gateway.Tests.CatalogImports;

namespace Commerce.Gateway.Tests;

/// <summary>A server whose own worker runs no imports, with chunks of 10 rows and leases that run out at once: the tests drive the runner.</summary>
public sealed class ImportRunnerServer : GatewayServer
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Commerce:Catalog:Imports:RunWorker"] = "false",
        ["Commerce:Catalog:Imports:ChunkRows"] = "10",
        ["Commerce:Catalog:Imports:Lease"] = "00:00:00",
    };
}

/// <summary>A job stopped after a chunk, as by a crash, is taken over and resumes after its last committed chunk.</summary>
public sealed class CatalogImportResumeTests(ImportRunnerServer server) : IClassFixture<ImportRunnerServer>
{
    [Fact]
    public async Task Progress_is_readable_while_the_job_runs_and_a_job_stopped_after_a_chunk_resumes_without_applying_a_row_twice()
    {
        var p = "res-" + Guid.NewGuid().ToString("N")[..8];
        using var operators = await server.Operator();
        var rows = Enumerable.Range(0, 35).Select(i => Row($"{p}-{i / 4}", $"{p}-{i:00}")).ToList();
        rows[27] = Row($"{p}-6", $"{p}-03");   // a duplicate of a SKU in the first chunk, met after the resume
        var submitted = await Submit(operators, rows);
        Assert.Equal((ImportJobState.Queued, 35, 0), (submitted.State, submitted.TotalRows, submitted.ProcessedRows));

        var runner = server.Services.GetRequiredService<CatalogImportRunner>();
        ImportJob? whileRunning = null;
        using var crash = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runner.RunNextJob(async (chunk, _) =>
        {
            whileRunning = await Get(operators, chunk.JobId);
            await crash.CancelAsync();
            crash.Token.ThrowIfCancellationRequested();
        }, crash.Token));
        Assert.Equal((ImportJobState.Running, 35, 10, 10), (whileRunning!.State, whileRunning.TotalRows, whileRunning.ProcessedRows, whileRunning.Applied));

        var chunks = new List<CommittedChunk>();
        Assert.True(await runner.RunNextJob((chunk, _) => { chunks.Add(chunk); return Task.CompletedTask; }, CancellationToken.None));
        var job = await Get(operators, submitted.JobId);
        Assert.Equal((ImportJobState.Completed, 35, 34, 0, 1), (job.State, job.ProcessedRows, job.Applied, job.Unchanged, job.Rejected));
        Assert.Equal((29, "sku"), (job.Errors.Single().Line, job.Errors.Single().Field));
        Assert.Equal([10, 20, 30], chunks.Select(c => c.FirstRow));
        Assert.Equal([$"{p}-2", $"{p}-3", $"{p}-4"], chunks[0].ChangedProducts);
        Assert.Equal(34, await PriceHistoryRows(server.Services, p + "-"));
        await using var count = server.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand(
            "SELECT count(*), sum(row_count) FROM catalog_import_chunks WHERE job_id = $1");
        count.Parameters.Add(new() { Value = submitted.JobId });
        await using var reader = await count.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.Equal((4L, 35L), (reader.GetInt64(0), reader.GetInt64(1)));
        Assert.False(await runner.RunNextJob(null, CancellationToken.None));
    }

    /// <summary>A change feed that refuses every publish while <see cref="Failing"/>, as a stream provider that is away.</summary>
    private sealed class FlakyFeed : ICatalogChangeFeed
    {
        public bool Failing { get; set; } = true;

        public List<string> Published { get; } = [];

        public Task ProductsChangedAsync(IReadOnlyCollection<string> productIds)
        {
            if (Failing)
            {
                throw new InvalidOperationException("The catalog-change stream is away.");
            }
            Published.AddRange(productIds);
            return Task.CompletedTask;
        }

        public Task StockChangedAsync(string sku, int available) => Task.CompletedTask;
    }

    [Fact]
    public async Task A_chunk_whose_publish_failed_is_published_again_once_the_stream_is_back_and_then_no_more()
    {
        var p = "pub-" + Guid.NewGuid().ToString("N")[..8];
        using var operators = await server.Operator();
        await Submit(operators, Enumerable.Range(0, 12).Select(i => Row($"{p}-{i / 4}", $"{p}-{i:00}")));
        var feed = new FlakyFeed();
        var publisher = new ImportChangePublisher(server.Services.GetRequiredService<CatalogImportStore>(), feed, NullLogger<ImportChangePublisher>.Instance);
        List<string> Ours() => feed.Published.Where(id => id.StartsWith(p, StringComparison.Ordinal)).Distinct().Order(StringComparer.Ordinal).ToList();

        // Both chunks (rows 0-9 and 10-11) commit while the stream refuses them, and again at the next poll.
        Assert.True(await server.Services.GetRequiredService<CatalogImportRunner>().RunNextJob(publisher.PublishCommitted, CancellationToken.None));
        await publisher.PublishLeftOver(CancellationToken.None);
        Assert.Empty(Ours());

        feed.Failing = false;
        await publisher.PublishLeftOver(CancellationToken.None);
        Assert.Equal([$"{p}-0", $"{p}-1", $"{p}-2"], Ours());

        feed.Published.Clear();
        await publisher.PublishLeftOver(CancellationToken.None);
        Assert.Empty(Ours());
    }
}
