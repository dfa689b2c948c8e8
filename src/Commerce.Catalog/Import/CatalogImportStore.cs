using System.Security.Cryptography;
using Npgsql;
using NpgsqlTypes;

namespace Commerce.Catalog.Import;

public enum ImportJobState { Queued, Running, Completed, Failed }

/// <summary>An import job as operators follow it, with one page of its bad rows (by line).</summary>
/// <param name="NextErrorsAfterLine">Pass as <c>errorsAfterLine</c> for the next page of bad rows; null on the last.</param>
public sealed record ImportJob(
    Guid JobId, ImportJobState State, int TotalRows, int ProcessedRows, int Applied, int Unchanged, int Rejected,
    string? Failure, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, IReadOnlyList<ImportRowError> Errors, int? NextErrorsAfterLine);

public enum ImportSubmission { Queued, Replayed, KeyReusedWithAnotherFile }

/// <summary>A job a worker holds: the file, where to resume, and the fencing token its chunks must name.</summary>
internal sealed record ImportClaim(Guid JobId, Guid Owner, byte[] File, int ProcessedRows, int Attempts, string? LastError);

/// <summary>What one committed chunk did: the products whose rows changed anything, for the search index to follow.</summary>
public sealed record CommittedChunk(Guid JobId, int FirstRow, int Rows, int Applied, int Unchanged, int Rejected, IReadOnlyList<string> ChangedProducts);

/// <summary>A committed chunk's changed products, to go on the catalog-change stream.</summary>
public sealed record ChunkChanges(Guid JobId, int FirstRow, IReadOnlyList<string> ChangedProducts);

/// <summary>Import jobs and their chunks in PostgreSQL (<c>catalog_import_*</c>), and the set-based SQL that applies a chunk.</summary>
public sealed class CatalogImportStore(NpgsqlDataSource dataSource)
{
    public const int ErrorLinesPerPage = 100;

    /// <summary>Queues a file whose header is valid; with an Idempotency-Key, the same submitter's key and file are the job queued first.</summary>
    public async Task<(ImportSubmission Outcome, Guid JobId)> Submit(byte[] file, int totalRows, string submittedBy, string? idempotencyKey, CancellationToken cancellationToken = default)
    {
        var sha256 = SHA256.HashData(file);
        await using var command = dataSource.CreateCommand(
            """
            WITH queued AS (
                INSERT INTO catalog_import_jobs (job_id, idempotency_key, file_sha256, file, submitted_by, total_rows)
                VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (submitted_by, idempotency_key) DO NOTHING RETURNING job_id, file_sha256
            )
            SELECT job_id, file_sha256, true FROM queued
            UNION ALL SELECT job_id, file_sha256, false FROM catalog_import_jobs WHERE submitted_by = $5 AND idempotency_key = $2 AND NOT EXISTS (SELECT 1 FROM queued)
            """);
        command.Parameters.Add(new() { Value = Guid.CreateVersion7() });
        command.Parameters.Add(new() { Value = (object?)idempotencyKey ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = sha256 });
        command.Parameters.Add(new() { Value = file });
        command.Parameters.Add(new() { Value = submittedBy });
        command.Parameters.Add(new() { Value = totalRows });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            // The key's first job was inserted concurrently and is not visible to this statement's snapshot yet: ask again.
            await reader.DisposeAsync();
            return await Submit(file, totalRows, submittedBy, idempotencyKey, cancellationToken);
        }
        var jobId = reader.GetGuid(0);
        if (reader.GetBoolean(2))
        {
            return (ImportSubmission.Queued, jobId);
        }
        return (((byte[])reader[1]).AsSpan().SequenceEqual(sha256) ? ImportSubmission.Replayed : ImportSubmission.KeyReusedWithAnotherFile, jobId);
    }

    /// <summary>The job with its bad rows on lines after <paramref name="errorsAfterLine"/>, or null when there is none.</summary>
    public async Task<ImportJob?> Get(Guid jobId, int errorsAfterLine = 0, CancellationToken cancellationToken = default)
    {
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(new(
            "SELECT state, total_rows, processed_rows, applied, unchanged, rejected, failure, created_at, finished_at FROM catalog_import_jobs WHERE job_id = $1")
        { Parameters = { new() { Value = jobId } } });
        batch.BatchCommands.Add(new(
            """
            SELECT line, field, message FROM catalog_import_errors WHERE job_id = $1 AND line IN (
                SELECT DISTINCT line FROM catalog_import_errors WHERE job_id = $1 AND line > $2 ORDER BY line LIMIT $3)
            ORDER BY line, field
            """)
        { Parameters = { new() { Value = jobId }, new() { Value = errorsAfterLine }, new() { Value = ErrorLinesPerPage } } });
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }
        var job = new ImportJob(jobId, Enum.Parse<ImportJobState>(reader.GetString(0), ignoreCase: true), reader.GetInt32(1), reader.GetInt32(2),
            reader.GetInt32(3), reader.GetInt32(4), reader.GetInt32(5), reader.IsDBNull(6) ? null : reader.GetString(6),
            reader.GetFieldValue<DateTimeOffset>(7), reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8), [], null);
        await reader.NextResultAsync(cancellationToken);
        var errors = new List<ImportRowError>();
        while (await reader.ReadAsync(cancellationToken))
        {
            errors.Add(new ImportRowError(reader.GetInt32(0), reader.GetString(1), reader.GetString(2)));
        }
        var lines = errors.Select(e => e.Line).Distinct().Count();
        return job with { Errors = errors, NextErrorsAfterLine = lines == ErrorLinesPerPage ? errors[^1].Line : null };
    }

    /// <summary>
    /// Takes the oldest job that is queued or whose worker's lease ran out (it crashed or stalled), with a new
    /// fencing token: from now on only chunks naming <c>Owner</c> commit.
    /// </summary>
    internal async Task<ImportClaim?> Claim(TimeSpan lease, CancellationToken cancellationToken)
    {
        var owner = Guid.NewGuid();
        await using var command = dataSource.CreateCommand(
            """
            UPDATE catalog_import_jobs SET state = 'running', lease_owner = $1, lease_until = now() + $2,
                attempts = attempts + 1, started_at = coalesce(started_at, now())
            WHERE job_id = (
                SELECT job_id FROM catalog_import_jobs WHERE state = 'queued' OR (state = 'running' AND lease_until <= now())
                ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING job_id, file, processed_rows, attempts, failure
            """);
        command.Parameters.Add(new() { Value = owner });
        command.Parameters.Add(new() { Value = lease });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new ImportClaim(reader.GetGuid(0), owner, (byte[])reader[1], reader.GetInt32(2), reader.GetInt32(3), reader.IsDBNull(4) ? null : reader.GetString(4))
            : null;
    }

    /// <summary>
    /// Applies a chunk's good rows and records its bad ones and its progress in one transaction; null (and nothing
    /// written) when the claim was taken over or the chunk is not the next one.
    /// </summary>
    internal async Task<CommittedChunk?> CommitChunk(ImportClaim claim, TimeSpan lease, int firstRow, int rows, IReadOnlyList<ImportedRow> good,
        IReadOnlyList<ImportRowError> bad, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // The fence: the job row stays locked until commit, so two workers never apply chunks of one job at once.
        await using (var fence = new NpgsqlCommand(
            "UPDATE catalog_import_jobs SET lease_until = now() + $3 WHERE job_id = $1 AND lease_owner = $2 AND processed_rows = $4 AND state = 'running'",
            connection, transaction))
        {
            fence.Parameters.Add(new() { Value = claim.JobId });
            fence.Parameters.Add(new() { Value = claim.Owner });
            fence.Parameters.Add(new() { Value = lease });
            fence.Parameters.Add(new() { Value = firstRow });
            if (await fence.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                return null;
            }
        }

        var errors = bad.ToList();
        var known = await KnownCategories(connection, transaction, good, cancellationToken);
        var applicable = new List<ImportedRow>(good.Count);
        foreach (var row in good)
        {
            if (row.Product.CategoryId is { } category && !known.Contains(category))
            {
                errors.Add(new ImportRowError(row.Line, "category_id", $"There is no category '{category}'."));
            }
            else
            {
                applicable.Add(row);
            }
        }

        var changedProducts = await UpsertProducts(connection, transaction, applicable, cancellationToken);
        var (changedSkus, productsOfChangedSkus) = await UpsertSkus(connection, transaction, applicable, $"import:{claim.JobId}", cancellationToken);
        // A row is applied when its SKU changed or its product's own columns did.
        var applied = applicable.Count(r => changedSkus.Contains(r.Sku.Code) || changedProducts.Contains(r.Product.ProductId));
        var rejected = errors.Select(e => e.Line).Distinct().Count();
        var chunk = new CommittedChunk(claim.JobId, firstRow, rows, applied, applicable.Count - applied, rejected,
            changedProducts.Union(productsOfChangedSkus).Order(StringComparer.Ordinal).ToList());

        await using var record = new NpgsqlBatch(connection, transaction);
        record.BatchCommands.Add(new(
            "INSERT INTO catalog_import_errors (job_id, line, field, message) SELECT $1, * FROM unnest($2::integer[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING")
        {
            Parameters = { new() { Value = claim.JobId }, new() { Value = errors.Select(e => e.Line).ToArray() }, new() { Value = errors.Select(e => e.Field).ToArray() }, new() { Value = errors.Select(e => e.Message).ToArray() } },
        });
        record.BatchCommands.Add(new("INSERT INTO catalog_import_chunks (job_id, first_row, row_count, changed_products, published) VALUES ($1, $2, $3, $4, cardinality($4) = 0)")
        {
            Parameters = { new() { Value = claim.JobId }, new() { Value = firstRow }, new() { Value = rows }, new() { Value = chunk.ChangedProducts.ToArray() } },
        });
        record.BatchCommands.Add(new(
            "UPDATE catalog_import_jobs SET processed_rows = processed_rows + $2, applied = applied + $3, unchanged = unchanged + $4, rejected = rejected + $5 WHERE job_id = $1")
        {
            Parameters = { new() { Value = claim.JobId }, new() { Value = rows }, new() { Value = chunk.Applied }, new() { Value = chunk.Unchanged }, new() { Value = chunk.Rejected } },
        });
        await record.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return chunk;
    }

    /// <summary>Records that the chunk's changed products are on the catalog-change stream.</summary>
    internal async Task MarkPublished(ChunkChanges chunk, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("UPDATE catalog_import_chunks SET published = true WHERE job_id = $1 AND first_row = $2");
        command.Parameters.Add(new() { Value = chunk.JobId });
        command.Parameters.Add(new() { Value = chunk.FirstRow });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The oldest committed chunks, at most <paramref name="limit"/>, whose changed products were not published.</summary>
    internal async Task<IReadOnlyList<ChunkChanges>> Unpublished(int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT job_id, first_row, changed_products FROM catalog_import_chunks WHERE NOT published ORDER BY committed_at, job_id, first_row LIMIT $1");
        command.Parameters.Add(new() { Value = limit });
        var chunks = new List<ChunkChanges>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            chunks.Add(new ChunkChanges(reader.GetGuid(0), reader.GetInt32(1), reader.GetFieldValue<string[]>(2)));
        }
        return chunks;
    }

    /// <summary>Ends a job the claim still holds: completed, or failed with why.</summary>
    internal async Task Finish(ImportClaim claim, string? failure, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            UPDATE catalog_import_jobs SET state = $3, failure = $4, finished_at = now(), lease_owner = NULL, lease_until = NULL
            WHERE job_id = $1 AND lease_owner = $2
            """);
        command.Parameters.Add(new() { Value = claim.JobId });
        command.Parameters.Add(new() { Value = claim.Owner });
        command.Parameters.Add(new() { Value = failure is null ? "completed" : "failed" });
        command.Parameters.Add(new() { Value = (object?)failure ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Gives a job back after an error, for the next claim to retry from its last chunk; the error is kept for the record.</summary>
    internal async Task Release(ImportClaim claim, string error, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE catalog_import_jobs SET lease_until = now(), failure = $3 WHERE job_id = $1 AND lease_owner = $2");
        command.Parameters.Add(new() { Value = claim.JobId });
        command.Parameters.Add(new() { Value = claim.Owner });
        command.Parameters.Add(new() { Value = error });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<HashSet<string>> KnownCategories(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<ImportedRow> rows, CancellationToken cancellationToken)
    {
        var known = new HashSet<string>(StringComparer.Ordinal);
        var wanted = rows.Select(r => r.Product.CategoryId).OfType<string>().Distinct().ToArray();
        if (wanted.Length == 0)
        {
            return known;
        }
        await using var command = new NpgsqlCommand("SELECT category_id FROM catalog_categories WHERE category_id = ANY($1)", connection, transaction);
        command.Parameters.Add(new() { Value = wanted });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            known.Add(reader.GetString(0));
        }
        return known;
    }

    /// <summary>
    /// Inserts new products and updates those whose columns differ; a product equal to its row is not touched.
    /// The product's active flag is left to operators: an import creates products active.
    /// </summary>
    private static async Task<HashSet<string>> UpsertProducts(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<ImportedRow> rows, CancellationToken cancellationToken)
    {
        var products = rows.Select(r => r.Product).DistinctBy(p => p.ProductId).ToList();
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO catalog_products AS p (product_id, title, description, brand, category_id, attributes)
            SELECT product_id, title, description, brand, category_id, attributes::jsonb
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS t(product_id, title, description, brand, category_id, attributes)
            ON CONFLICT (product_id) DO UPDATE SET title = EXCLUDED.title, description = EXCLUDED.description, brand = EXCLUDED.brand,
                category_id = EXCLUDED.category_id, attributes = EXCLUDED.attributes, updated_at = now()
            WHERE (p.title, p.description, p.brand, p.category_id, p.attributes)
                IS DISTINCT FROM (EXCLUDED.title, EXCLUDED.description, EXCLUDED.brand, EXCLUDED.category_id, EXCLUDED.attributes)
            RETURNING product_id
            """, connection, transaction);
        command.Parameters.Add(new() { Value = products.Select(p => p.ProductId).ToArray() });
        command.Parameters.Add(new() { Value = products.Select(p => p.Title).ToArray() });
        command.Parameters.Add(new() { Value = products.Select(p => p.Description).ToArray() });
        command.Parameters.Add(new() { Value = products.Select(p => p.Brand).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = products.Select(p => p.CategoryId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = products.Select(p => p.Attributes).ToArray() });
        return await ReadCodes(command, cancellationToken);
    }

    /// <summary>
    /// Inserts new SKUs and updates those that differ, in one statement that also writes a price-history row for
    /// every SKU whose price or currency is new (the join reads the SKUs as they were before the statement).
    /// Then the variant options of the products whose SKUs changed are derived again from all their SKUs.
    /// </summary>
    private static async Task<(HashSet<string> Skus, HashSet<string> Products)> UpsertSkus(NpgsqlConnection connection, NpgsqlTransaction transaction,
        IReadOnlyList<ImportedRow> rows, string changedBy, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            WITH upserted AS (
                INSERT INTO catalog_skus AS s (sku, product_id, title, options, price, currency, active, images)
                SELECT sku, product_id, title, options::jsonb, price, currency, active, images::jsonb
                FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::numeric[], $6::text[], $7::boolean[], $8::text[])
                    AS t(sku, product_id, title, options, price, currency, active, images)
                ON CONFLICT (sku) DO UPDATE SET product_id = EXCLUDED.product_id, title = EXCLUDED.title, options = EXCLUDED.options,
                    price = EXCLUDED.price, currency = EXCLUDED.currency, active = EXCLUDED.active, images = EXCLUDED.images, updated_at = now()
                WHERE (s.product_id, s.title, s.options, s.price, s.currency, s.active, s.images)
                    IS DISTINCT FROM (EXCLUDED.product_id, EXCLUDED.title, EXCLUDED.options, EXCLUDED.price, EXCLUDED.currency, EXCLUDED.active, EXCLUDED.images)
                RETURNING s.sku, s.product_id, s.price, s.currency
            ), history AS (
                INSERT INTO catalog_price_history (sku, price, currency, changed_by)
                SELECT u.sku, u.price, u.currency, $9 FROM upserted u LEFT JOIN catalog_skus before ON before.sku = u.sku
                WHERE before.sku IS NULL OR (before.price, before.currency) IS DISTINCT FROM (u.price, u.currency)
            )
            SELECT sku, product_id FROM upserted
            """, connection, transaction);
        command.Parameters.Add(new() { Value = rows.Select(r => r.Sku.Code).ToArray() });
        command.Parameters.Add(new() { Value = rows.Select(r => r.Product.ProductId).ToArray() });
        command.Parameters.Add(new() { Value = rows.Select(r => r.Sku.Title).ToArray() });
        command.Parameters.Add(new() { Value = rows.Select(r => r.Sku.Options).ToArray() });
        command.Parameters.Add(new() { Value = rows.Select(r => r.Sku.Price).ToArray() });
        command.Parameters.Add(new() { Value = rows.Select(r => r.Sku.Currency).ToArray() });
        command.Parameters.Add(new() { Value = rows.Select(r => r.Sku.Active).ToArray() });
        command.Parameters.Add(new() { Value = rows.Select(r => r.Sku.Images).ToArray() });
        command.Parameters.Add(new() { Value = changedBy });
        var changedSkus = new HashSet<string>(StringComparer.Ordinal);
        var productsOfChangedSkus = new HashSet<string>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                changedSkus.Add(reader.GetString(0));
                productsOfChangedSkus.Add(reader.GetString(1));
            }
        }
        if (productsOfChangedSkus.Count > 0)
        {
            await using var variants = new NpgsqlCommand(
                """
                UPDATE catalog_products p SET variant_options = v.options, updated_at = now()
                FROM (
                    SELECT product_id, jsonb_object_agg(name, choices) AS options FROM (
                        SELECT s.product_id, o.key AS name, jsonb_agg(DISTINCT o.value ORDER BY o.value) AS choices
                        FROM catalog_skus s CROSS JOIN LATERAL jsonb_each(s.options) o
                        WHERE s.product_id = ANY($1) GROUP BY s.product_id, o.key) per_option
                    GROUP BY product_id) v
                WHERE p.product_id = v.product_id AND p.variant_options IS DISTINCT FROM v.options
                """, connection, transaction);
            variants.Parameters.Add(new() { Value = productsOfChangedSkus.ToArray() });
            await variants.ExecuteNonQueryAsync(cancellationToken);
        }
        return (changedSkus, productsOfChangedSkus);
    }

    private static async Task<HashSet<string>> ReadCodes(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var codes = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            codes.Add(reader.GetString(0));
        }
        return codes;
    }
}
