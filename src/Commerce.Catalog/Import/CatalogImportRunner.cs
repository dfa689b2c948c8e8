using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commerce.Catalog.Import;

public sealed class CatalogImportOptions
{
    public const string Section = "Commerce:Catalog:Imports";

    /// <summary>Rows per transaction: big enough for set-based SQL to pay off, small enough that a resumed job redoes little.</summary>
    public int ChunkRows { get; set; } = 2_000;

    /// <summary>How long a claimed job stays its worker's without a committed chunk; a crashed worker's job is taken over after it.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often an idle worker looks for jobs queued by other processes or left behind by crashed ones.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Claims after which a job that keeps failing is given up as failed.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The largest file the gateway accepts.</summary>
    public int MaxFileBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>Whether this process runs imports (a gateway-only process may leave them to the silos).</summary>
    public bool RunWorker { get; set; } = true;
}

/// <summary>
/// Runs one claimed job to its end: reads the file from the start (the validator must see every row to find
/// duplicates), skips the rows committed before, and commits the rest chunk by chunk.
/// </summary>
public sealed class CatalogImportRunner(CatalogImportStore store, IOptions<CatalogImportOptions> options, ILogger<CatalogImportRunner> logger)
{
    /// <summary>Claims the next job and runs it; false when there was none to claim.</summary>
    /// <param name="chunkCommitted">Told of each chunk after its commit (tests stop a run there, as a crash would).</param>
    public async Task<bool> RunNextJob(Func<CommittedChunk, CancellationToken, Task>? chunkCommitted, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (await store.Claim(settings.Lease, cancellationToken) is not { } claim)
        {
            return false;
        }
        if (claim.Attempts > settings.MaxAttempts)
        {
            await store.Finish(claim, $"Given up after {settings.MaxAttempts} attempts; the last error: {claim.LastError}", cancellationToken);
            return true;
        }
        try
        {
            if (await Run(claim, settings, chunkCommitted, cancellationToken))
            {
                await store.Finish(claim, failure: null, cancellationToken);
                logger.LogInformation("Catalog import {JobId} completed", claim.JobId);
            }
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(e, "Catalog import {JobId} failed at a chunk; it resumes there on its next claim", claim.JobId);
            await store.Release(claim, e.Message, CancellationToken.None);
        }
        return true;
    }

    /// <summary>False when another worker took the job over (this one's lease ran out).</summary>
    private async Task<bool> Run(ImportClaim claim, CatalogImportOptions settings, Func<CommittedChunk, CancellationToken, Task>? chunkCommitted, CancellationToken cancellationToken)
    {
        var rows = CatalogImportFile.ReadRows(claim.File, out var columns);
        var validator = new ImportRowValidator(columns);
        var good = new List<ImportedRow>(settings.ChunkRows);
        var bad = new List<ImportRowError>();
        var index = 0;
        var chunkStart = claim.ProcessedRows;
        foreach (var fileRow in rows)
        {
            var (row, errors) = validator.Validate(fileRow);
            if (index++ < claim.ProcessedRows)
            {
                continue;
            }
            if (row is not null)
            {
                good.Add(row);
            }
            bad.AddRange(errors);
            if (index - chunkStart == settings.ChunkRows)
            {
                if (!await Commit())
                {
                    return false;
                }
            }
        }
        return index == chunkStart || await Commit();

        async Task<bool> Commit()
        {
            var chunk = await store.CommitChunk(claim, settings.Lease, chunkStart, index - chunkStart, good, bad, cancellationToken);
            if (chunk is null)
            {
                logger.LogWarning("Catalog import {JobId} was taken over by another worker before row {Row}", claim.JobId, chunkStart);
                return false;
            }
            good.Clear();
            bad.Clear();
            chunkStart = index;
            if (chunkCommitted is not null)
            {
                await chunkCommitted(chunk, cancellationToken);
            }
            return true;
        }
    }
}
