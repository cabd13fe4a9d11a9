package dev.databaseunit.operator.databaseunit;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus;
import dev.databaseunit.operator.databaseunit.ReferenceCheck.Problem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.events.EventRecorder;
import dev.databaseunit.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.Cache;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reconciles a DatabaseUnit. So far it resolves the unit's references (credentials Secrets, migration
 * ConfigMaps) and reports Ready/Degraded with observedGeneration; the capabilities (connection, pooler, cache,
 * vector indexes) plug in here as they land. Secrets and ConfigMaps are watched, so creating a missing one
 * makes the unit Ready without waiting for a resync.
 */
@ControllerConfiguration(name = DatabaseUnitReconciler.NAME)
public class DatabaseUnitReconciler implements Reconciler<DatabaseUnit> {
  public static final String NAME = "databaseunit";
  private static final String REFERENCED_SECRETS = "referencedSecrets";
  private static final String REFERENCED_CONFIGMAPS = "referencedConfigMaps";

  private final EventRecorder events;
  private final Clock clock;

  public DatabaseUnitReconciler(EventRecorder events, Clock clock) {
    this.events = events;
    this.clock = clock;
  }

  @Override
  public List<EventSource<?, DatabaseUnit>> prepareEventSources(EventSourceContext<DatabaseUnit> context) {
    // Index units by the objects they reference, so an event on a Secret finds its units without a scan.
    context.getPrimaryCache().addIndexer(REFERENCED_SECRETS, unit -> indexKeys(unit, Reference.SecretKeys.class));
    context.getPrimaryCache().addIndexer(REFERENCED_CONFIGMAPS, unit -> indexKeys(unit, Reference.ConfigMap.class));
    return List.of(
        referencedObjects(context, Secret.class, REFERENCED_SECRETS),
        referencedObjects(context, ConfigMap.class, REFERENCED_CONFIGMAPS));
  }

  private static <R extends HasMetadata> InformerEventSource<R, DatabaseUnit> referencedObjects(
      EventSourceContext<DatabaseUnit> context, Class<R> type, String index) {
    var config = InformerEventSourceConfiguration.from(type, DatabaseUnit.class)
        .withNamespacesInheritedFromController()
        .withSecondaryToPrimaryMapper(object -> context.getPrimaryCache()
            .byIndex(index, indexKey(object.getMetadata().getNamespace(), object.getMetadata().getName()))
            .stream().map(ResourceID::fromResource).collect(Collectors.toSet()))
        .build();
    return new InformerEventSource<>(config, context);
  }

  private static List<String> indexKeys(DatabaseUnit unit, Class<? extends Reference> kind) {
    return ReferenceCheck.referencesOf(unit.getSpec()).stream()
        .filter(kind::isInstance)
        .map(ref -> indexKey(unit.getMetadata().getNamespace(), ref.name()))
        .distinct()
        .toList();
  }

  private static String indexKey(String namespace, String name) {
    return namespace + "/" + name;
  }

  @Override
  public UpdateControl<DatabaseUnit> reconcile(DatabaseUnit unit, Context<DatabaseUnit> context) {
    String namespace = unit.getMetadata().getNamespace();
    Cache<Secret> secrets = informerCache(context, Secret.class);
    Cache<ConfigMap> configMaps = informerCache(context, ConfigMap.class);
    Optional<Problem> problem = ReferenceCheck.firstProblem(
        ReferenceCheck.referencesOf(unit.getSpec()),
        name -> secrets.get(new ResourceID(name, namespace)).map(DatabaseUnitReconciler::keysOf),
        name -> configMaps.get(new ResourceID(name, namespace)).isPresent());

    List<Conditions.Desired> desired = problem
        .map(p -> List.of(
            new Conditions.Desired(Conditions.READY, false, p.reason().name(), p.message()),
            new Conditions.Desired(Conditions.DEGRADED, true, p.reason().name(), p.message())))
        .orElse(List.of(
            new Conditions.Desired(Conditions.READY, true, "Reconciled", "All references resolved"),
            new Conditions.Desired(Conditions.DEGRADED, false, "AsExpected", "No problems found")));

    DatabaseUnitStatus previous = unit.getStatus() != null ? unit.getStatus() : emptyStatus();
    long generation = unit.getMetadata().getGeneration();
    var conditions = Conditions.merge(previous.conditions(), desired, generation, clock.instant());
    DatabaseUnitStatus next = previous.withConditions(generation, conditions);

    recordTransition(unit, previous, next, problem);
    if (next.equals(previous)) {
      return UpdateControl.noUpdate();
    }
    unit.setStatus(next);
    return UpdateControl.patchStatus(unit);
  }

  /** The informer's local cache of a referenced kind: reconciles read it instead of calling the API server. */
  @SuppressWarnings("unchecked")
  private static <R extends HasMetadata> Cache<R> informerCache(Context<DatabaseUnit> context, Class<R> type) {
    return (Cache<R>) context.eventSourceRetriever().getEventSourceFor(type);
  }

  /** Events mark changes of readiness, so a retry of the same problem does not repeat them. */
  private void recordTransition(DatabaseUnit unit, DatabaseUnitStatus previous, DatabaseUnitStatus next, Optional<Problem> problem) {
    var before = Conditions.find(previous.conditions(), Conditions.READY);
    var after = Conditions.find(next.conditions(), Conditions.READY);
    if (before != null && Objects.equals(before.getStatus(), after.getStatus()) && Objects.equals(before.getReason(), after.getReason())) {
      return;
    }
    problem.ifPresentOrElse(
        p -> events.record(unit, EventRecorder.Type.Warning, p.reason(), p.message()),
        () -> events.record(unit, EventRecorder.Type.Normal, EventReason.Ready, "All references resolved"));
  }

  /** Only the key names of a Secret are ever looked at; its values are not read. */
  private static Set<String> keysOf(Secret secret) {
    Set<String> keys = new HashSet<>();
    if (secret.getData() != null) {
      keys.addAll(secret.getData().keySet());
    }
    if (secret.getStringData() != null) {
      keys.addAll(secret.getStringData().keySet());
    }
    return keys;
  }

  private static DatabaseUnitStatus emptyStatus() {
    return new DatabaseUnitStatus(null, List.of(), null, null, null, null, null);
  }
}
