package dev.databaseunit.operator.databaseunit;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.postgres.PostgresTarget;
import dev.databaseunit.operator.postgres.PostgresTargets;
import dev.databaseunit.operator.common.DesiredObjects;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * What a capability gets on each reconcile of a unit.
 *
 * @param unitKey namespace/name, the key of everything the operator keeps per unit
 * @param target the database as resolved from the spec and Secrets; empty when it could not be resolved
 * @param dataSource the unit's pool inside the operator; empty when the target is unknown or unreachable
 * @param secrets reads Secrets of the unit's namespace from the informer cache
 * @param configMaps reads ConfigMaps of the unit's namespace from the informer cache
 * @param live reads the objects the operator owns from the informer caches, for {@link DesiredObjects}
 * @param endpointSlices reads the EndpointSlices of the operator's Services from the informer cache
 */
public record UnitContext(DatabaseUnit unit, String unitKey, Optional<PostgresTarget> target,
    Optional<DataSource> dataSource, PostgresTargets.SecretLookup secrets, ConfigMapLookup configMaps,
    DesiredObjects.Live live, EndpointSliceLookup endpointSlices) {

  /** The EndpointSlices of a Service the operator owns (none when there is no cache). */
  @FunctionalInterface
  public interface EndpointSliceLookup {
    EndpointSliceLookup NONE = (namespace, service) -> List.of();

    List<EndpointSlice> ofService(String namespace, String service);
  }

  /** Reads a ConfigMap by namespace and name; empty when it does not exist. */
  @FunctionalInterface
  public interface ConfigMapLookup {
    Optional<ConfigMap> find(String namespace, String name);
  }

  public static String keyOf(DatabaseUnit unit) {
    return unit.getMetadata().getNamespace() + "/" + unit.getMetadata().getName();
  }
}
