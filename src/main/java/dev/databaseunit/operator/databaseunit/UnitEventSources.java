package dev.databaseunit.operator.databaseunit;

import dev.databaseunit.operator.common.IndexedInformers;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.common.DesiredObjects;
import dev.databaseunit.operator.common.OwnedObjects;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import dev.databaseunit.operator.pool.PoolerPods;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.Cache;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What brings a unit to its reconcile, and the caches the reconcile reads instead of the API server: the Secrets and
 * ConfigMaps it references (indexed by unit, so an event finds its units without a scan), the objects the operator
 * owns for it (a pod going away changes their status; an edit is drift to correct), and the wake-ups of the loops that
 * run on their own clock.
 */
final class UnitEventSources {
  private static final String REFERENCED_SECRETS = "referencedSecrets";
  private static final String REFERENCED_CONFIGMAPS = "referencedConfigMaps";
  /** The kinds {@link DesiredObjects} writes for units, all watched here. */
  private static final Set<Class<? extends HasMetadata>> LIVE_KINDS =
      Set.of(Secret.class, ConfigMap.class, Service.class, StatefulSet.class, Deployment.class, PodDisruptionBudget.class);

  private UnitEventSources() {}

  static List<EventSource<?, DatabaseUnit>> prepare(EventSourceContext<DatabaseUnit> context, UnitWakeups wakeups) {
    context.getPrimaryCache().addIndexer(REFERENCED_SECRETS, unit -> indexKeys(unit, Reference.SecretKeys.class));
    context.getPrimaryCache().addIndexer(REFERENCED_CONFIGMAPS, unit -> indexKeys(unit, Reference.ConfigMap.class));
    return List.of(
        IndexedInformers.watch(context, Secret.class, REFERENCED_SECRETS),
        IndexedInformers.watch(context, ConfigMap.class, REFERENCED_CONFIGMAPS),
        ownedObjects(context, StatefulSet.class),
        ownedObjects(context, Deployment.class),
        ownedObjects(context, Service.class),
        ownedObjects(context, PodDisruptionBudget.class),
        serviceEndpoints(context),
        wakeups.eventSource());
  }

  /** The informer's local cache of a watched kind. */
  @SuppressWarnings("unchecked")
  static <R extends HasMetadata> Cache<R> cache(Context<DatabaseUnit> context, Class<R> type) {
    return (Cache<R>) context.eventSourceRetriever().getEventSourceFor(type);
  }

  static DesiredObjects.Live live(Context<DatabaseUnit> context) {
    return new DesiredObjects.Live() {
      @Override
      public <R extends HasMetadata> Optional<R> find(Class<R> type, String namespace, String name) {
        return LIVE_KINDS.contains(type) ? cache(context, type).get(new ResourceID(name, namespace)) : Optional.empty();
      }
    };
  }

  static UnitContext.EndpointSliceLookup endpointSlices(Context<DatabaseUnit> context) {
    Cache<EndpointSlice> cache = cache(context, EndpointSlice.class);
    return (namespace, service) -> cache.list(slice -> namespace.equals(slice.getMetadata().getNamespace())
        && slice.getMetadata().getLabels() != null
            && service.equals(slice.getMetadata().getLabels().get(PoolerPods.SERVICE_NAME_LABEL))).toList();
  }

  /**
   * The EndpointSlices of the operator's PgBouncer Services (Kubernetes copies a Service's labels onto its slices): a
   * pod becoming ready or going away brings the unit back, so the pool loop sizes the pods that are there.
   */
  private static InformerEventSource<EndpointSlice, DatabaseUnit> serviceEndpoints(EventSourceContext<DatabaseUnit> context) {
    var config = InformerEventSourceConfiguration.from(EndpointSlice.class, DatabaseUnit.class)
        .withNamespacesInheritedFromController()
        .withLabelSelector("app.kubernetes.io/managed-by=" + OwnedObjects.MANAGED_BY + ",app.kubernetes.io/component=pgbouncer")
        .withSecondaryToPrimaryMapper(slice -> {
          String unit = slice.getMetadata().getLabels() != null ? slice.getMetadata().getLabels().get(OwnedObjects.UNIT_LABEL) : null;
          return unit == null ? Set.of() : Set.of(new ResourceID(unit, slice.getMetadata().getNamespace()));
        })
        .build();
    return new InformerEventSource<>(config, context);
  }

  private static <R extends HasMetadata> InformerEventSource<R, DatabaseUnit> ownedObjects(
      EventSourceContext<DatabaseUnit> context, Class<R> type) {
    var config = InformerEventSourceConfiguration.from(type, DatabaseUnit.class)
        .withNamespacesInheritedFromController()
        .withLabelSelector("app.kubernetes.io/managed-by=" + OwnedObjects.MANAGED_BY)
        .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(DatabaseUnit.class))
        .build();
    return new InformerEventSource<>(config, context);
  }

  private static List<String> indexKeys(DatabaseUnit unit, Class<? extends Reference> kind) {
    return ReferenceCheck.referencesOf(unit.getSpec()).stream()
        .filter(kind::isInstance)
        .map(ref -> IndexedInformers.key(unit.getMetadata().getNamespace(), ref.name()))
        .distinct()
        .toList();
  }
}
