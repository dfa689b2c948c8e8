using Commerce.Runtime.Activations;
using Commerce.Runtime.Hosting;
using Commerce.Runtime.Reminders;
using Commerce.Runtime.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commerce.Runtime;

/// <summary>The parts of one silo, wired together once; activations reach everything through it.</summary>
internal sealed class SiloRuntime
{
    public SiloRuntime(IServiceProvider services, GrainRegistry registry, IOptions<SiloOptions> options, RuntimeMetrics metrics, ILogger<SiloRuntime> logger)
    {
        Services = services;
        Registry = registry;
        Options = options.Value;
        Metrics = metrics;
        Logger = logger;
        Catalog = new Catalog(this);
        Dispatcher = new GrainCallDispatcher(this);
        GrainFactory = new GrainFactory(this);
        Reminders = new ReminderService(this);
    }

    public IServiceProvider Services { get; }

    public GrainRegistry Registry { get; }

    public SiloOptions Options { get; }

    public RuntimeMetrics Metrics { get; }

    public ILogger Logger { get; }

    public Catalog Catalog { get; }

    public GrainCallDispatcher Dispatcher { get; }

    public IGrainFactory GrainFactory { get; }

    public ReminderService Reminders { get; }

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;
}
