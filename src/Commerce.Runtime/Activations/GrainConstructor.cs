using System.Reflection;
using Commerce.Runtime.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Runtime.Activations;

/// <summary>
/// Builds grain instances: services from the container, and one persistent state per constructor
/// parameter marked [PersistentState]. The plan is read once per class; this runs per activation,
/// never per call.
/// </summary>
internal sealed class GrainConstructor
{
    private readonly ConstructorInfo _constructor;
    private readonly ParameterInfo[] _parameters;

    // Per parameter, read once: its [PersistentState] and the PersistentState<T> type to build, or nulls for a service.
    private readonly (PersistentStateAttribute Attribute, Type StateClass)?[] _states;

    public GrainConstructor(Type classType)
    {
        _constructor = classType.GetConstructors().OrderByDescending(c => c.GetParameters().Length).FirstOrDefault()
            ?? throw new InvalidOperationException($"Grain class {classType.FullName} has no public constructor.");
        _parameters = _constructor.GetParameters();
        _states = new (PersistentStateAttribute, Type)?[_parameters.Length];
        for (var i = 0; i < _parameters.Length; i++)
        {
            var parameter = _parameters[i];
            if (parameter.GetCustomAttribute<PersistentStateAttribute>() is not { } attribute)
            {
                continue;
            }
            if (!(parameter.ParameterType.IsGenericType && parameter.ParameterType.GetGenericTypeDefinition() == typeof(IPersistentState<>)))
            {
                throw new InvalidOperationException(
                    $"Parameter '{parameter.Name}' of {classType.FullName} has [PersistentState] but is not an IPersistentState<T>.");
            }
            _states[i] = (attribute, typeof(PersistentState<>).MakeGenericType(parameter.ParameterType.GetGenericArguments()[0]));
        }
    }

    /// <summary>Creates the grain; the persistent states it asked for are returned so they can be read before OnActivateAsync.</summary>
    public object Create(Activation activation, IServiceProvider services, List<IStateParticipant> states)
    {
        var arguments = new object?[_parameters.Length];
        for (var i = 0; i < _parameters.Length; i++)
        {
            if (_states[i] is not var (stateAttribute, stateClass))
            {
                arguments[i] = services.GetRequiredService(_parameters[i].ParameterType);
                continue;
            }
            var storage = stateAttribute.StorageName is null
                ? services.GetRequiredService<IGrainStorage>()
                : services.GetRequiredKeyedService<IGrainStorage>(stateAttribute.StorageName);
            var state = (IStateParticipant)Activator.CreateInstance(stateClass, activation, storage, stateAttribute.StateName)!;
            states.Add(state);
            arguments[i] = state;
        }
        try
        {
            Grain.Constructing = activation;
            return _constructor.Invoke(arguments);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
        finally
        {
            Grain.Constructing = null;
        }
    }
}
