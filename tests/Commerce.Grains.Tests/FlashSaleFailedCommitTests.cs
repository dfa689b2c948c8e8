using Commerce.Grains.FlashSales;
using Commerce.Grains.Inventory;
using Commerce.Persistence;
using Commerce.Testing.Postgres;
using Orleans.Runtime;

namespace Commerce.Grains.Tests;

/// <summary>
/// A purchase whose commit failed is in doubt to its buyer, who retries with the same Idempotency-Key: the
/// answer must come from what storage holds — never the purchase the failed commit left in memory, never a
/// second purchase. Storage refuses for real: a trigger in the test's database, for one grain's rows only.
/// </summary>
public sealed class FlashSaleFailedCommitTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    [Fact]
    public async Task A_purchase_whose_commit_failed_is_answered_from_storage_when_retried_with_its_key()
    {
        await using var silo = await Silos.Start(database.ConnectionString);
        var sku = silo.GrainFactory.GetGrain<ISkuInventoryGrain>(await Shop.CatalogSku(silo, "tv"));
        Assert.True((await sku.Receive(new ReceiveStock("north", 10, "ops"))).Succeeded);
        var sale = silo.GrainFactory.GetGrain<IFlashSaleGrain>(Silos.NewKey("sale"));
        var now = DateTimeOffset.UtcNow;
        var created = await sale.Create(new CreateFlashSale(Silos.KeyOf(sku), 5, new Money(19.99m, "EUR"), now.AddHours(1), now.AddHours(2), 1, 1_000, null, null, "ops"));
        Assert.True(created.Succeeded, created.Message);
        var probe = new SaleProbe();
        await sale.Subscribe(silo.GrainFactory.CreateObjectReference<IFlashSaleObserver>(probe));
        Assert.True((await sale.Join("ann")).Succeeded);
        await sale.StartNow("ops");
        var buy = new PurchaseRequest("ann", (await probe.AdmissionOf("ann")).Value, 1, "ann-key");

        await RefuseWrites(Silos.KeyOf(sale), refuse: true);
        try
        {
            // The buyer's retries arrive while the first attempt's commit is under way (the sale already shows
            // the purchase in memory): every one fails with it, none is told of a sale that was never stored. A retry
            // queued on an activation the failure discarded is forwarded to the next one; when that one fails too,
            // Orleans stops forwarding and rejects it, naming the same refusal: a failure either way, never a purchase.
            var attempts = Enumerable.Range(0, 10).Select(_ => sale.Purchase(buy)).ToList();
            foreach (var attempt in attempts)
            {
                var failure = await Assert.ThrowsAnyAsync<Exception>(() => attempt);
                Assert.True(failure is DatabaseException || (failure is OrleansMessageRejectionException && failure.Message.Contains("storage refuses writes", StringComparison.Ordinal)),
                    $"a retry failed with something other than the refused commit: {failure}");
            }
            // Retried while storage still refuses (a new activation, read from storage): an error again.
            await Assert.ThrowsAsync<DatabaseException>(() => sale.Purchase(buy));
        }
        finally
        {
            await RefuseWrites(Silos.KeyOf(sale), refuse: false);
        }

        // Nothing was stored, so the retry buys; every retry after that gets that purchase again.
        var bought = await sale.Purchase(buy);
        Assert.True(bought.Succeeded, bought.Message);
        Assert.False(bought.Replayed);
        var replayed = await sale.Purchase(buy);
        Assert.Equal((true, bought.Purchase), (replayed.Replayed, replayed.Purchase));
        Assert.Equal(1, (await sale.GetStatus())!.UnitsSold);
    }

    /// <summary>Makes PostgreSQL refuse (or accept again) every write of one grain's state, as a failing database would.</summary>
    private async Task RefuseWrites(string grainKey, bool refuse)
    {
        await using (var trigger = database.DataSource.CreateCommand(
            """
            CREATE TABLE IF NOT EXISTS test_refused_writes (grain_key text PRIMARY KEY);
            CREATE OR REPLACE FUNCTION test_refuse_write() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF EXISTS (SELECT 1 FROM test_refused_writes WHERE grain_key = NEW.grain_key) THEN
                    RAISE EXCEPTION 'test: storage refuses writes of %', NEW.grain_key;
                END IF;
                RETURN NEW;
            END $$;
            CREATE OR REPLACE TRIGGER test_refuse_write BEFORE INSERT OR UPDATE ON grain_state FOR EACH ROW EXECUTE FUNCTION test_refuse_write();
            """))
        {
            await trigger.ExecuteNonQueryAsync();
        }
        await using var change = database.DataSource.CreateCommand(refuse
            ? "INSERT INTO test_refused_writes (grain_key) VALUES ($1) ON CONFLICT DO NOTHING"
            : "DELETE FROM test_refused_writes WHERE grain_key = $1");
        change.Parameters.Add(new() { Value = grainKey });
        await change.ExecuteNonQueryAsync();
    }
}
