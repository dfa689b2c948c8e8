using StackExchange.Redis;

namespace Commerce.Bench.Inventory;

/// <summary>
/// <c>redis-lua-*</c> (seeds 002 and 004): a Lua check-and-decrement of the SKU's stock key, atomic
/// because Redis runs scripts one at a time. With <c>appendfsync always</c> Redis fsyncs its
/// append-only file before it answers (durable); with <c>everysec</c> up to a second of acknowledged
/// reservations can vanish in a crash (not durable). Audit: units gone from each stock key.
/// </summary>
internal sealed class RedisLuaApproach(string name, bool durable, string endpoint) : IReservationApproach
{
    /// <summary>The seeds' script: GET stock; IF stock >= n THEN DECRBY; success ELSE fail.</summary>
    public const string ReserveScript = """
        local stock = tonumber(redis.call('GET', KEYS[1]))
        local quantity = tonumber(ARGV[1])
        if stock and stock >= quantity then
            redis.call('DECRBY', KEYS[1], quantity)
            return 1
        end
        return 0
        """;

    private static readonly RedisValue[] One = [1];
    private ConnectionMultiplexer? _redis;
    private IDatabase? _database;
    private byte[]? _scriptSha;

    public string Name => name;

    public bool Durable => durable;

    public static async Task<ConnectionMultiplexer> ConnectAsync(string endpoint)
    {
        var options = ConfigurationOptions.Parse(endpoint);
        options.AllowAdmin = true;
        options.AbortOnConnectFail = true;
        options.SyncTimeout = 30_000;
        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    public async Task PrepareAsync(IReadOnlyList<string> skus, int stockPerSku)
    {
        _redis = await ConnectAsync(endpoint);
        var server = _redis.GetServer(_redis.GetEndPoints()[0]);
        await server.FlushAllDatabasesAsync();
        _database = _redis.GetDatabase();
        foreach (var chunk in skus.Chunk(1000))
        {
            await _database.StringSetAsync([.. chunk.Select(sku => new KeyValuePair<RedisKey, RedisValue>(Key(sku), stockPerSku))]);
        }
        _scriptSha = await server.ScriptLoadAsync(ReserveScript);
    }

    private static RedisKey Key(string sku) => "stock:" + sku;

    public async Task<bool> ReserveAsync(string sku, string reservationId) =>
        (int)await _database!.ScriptEvaluateAsync(_scriptSha!, [Key(sku)], One) == 1;

    public async Task<Audit> AuditAsync(IReadOnlyList<string> skus, int stockPerSku)
    {
        long reserved = 0, oversold = 0;
        foreach (var chunk in skus.Chunk(1000))
        {
            var values = await _database!.StringGetAsync([.. chunk.Select(Key)]);
            foreach (var value in values)
            {
                var left = (long)value;
                reserved += stockPerSku - left;
                oversold += Math.Max(0, -left);
            }
        }
        return new Audit(reserved, oversold);
    }

    public ValueTask DisposeAsync()
    {
        _redis?.Dispose();
        return ValueTask.CompletedTask;
    }
}
