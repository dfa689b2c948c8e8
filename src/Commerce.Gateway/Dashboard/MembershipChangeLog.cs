namespace Commerce.Gateway.Dashboard;

/// <summary>Remembers each silo's last seen status and lists the changes between samples, newest first.</summary>
public sealed class MembershipChangeLog
{
    private const int Kept = 20;
    private readonly LinkedList<MembershipChange> _changes = new();
    private Dictionary<string, string>? _statuses;

    public IReadOnlyList<MembershipChange> Observe(IReadOnlyList<SiloView> silos, DateTimeOffset at)
    {
        var statuses = silos.ToDictionary(s => s.SiloId, s => s.Status, StringComparer.Ordinal);
        if (_statuses is { } previous)
        {
            foreach (var (silo, status) in statuses)
            {
                var before = previous.GetValueOrDefault(silo);
                if (before != status)
                {
                    Add(new MembershipChange(at, silo, before, status));
                }
            }
            foreach (var gone in previous.Keys.Where(s => !statuses.ContainsKey(s)))
            {
                Add(new MembershipChange(at, gone, previous[gone], "Removed"));
            }
        }
        _statuses = statuses;
        return [.. _changes];
    }

    private void Add(MembershipChange change)
    {
        _changes.AddFirst(change);
        if (_changes.Count > Kept)
        {
            _changes.RemoveLast();
        }
    }
}
