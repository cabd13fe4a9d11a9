package dev.databaseunit.operator.databaseunit;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.postgres.PostgresTarget;
import dev.databaseunit.operator.postgres.PostgresTargets;
import dev.databaseunit.operator.common.DesiredObjects;
import io.fabric8.kubernetes.api.model.ConfigMap;
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
 */
public record UnitContext(DatabaseUnit unit, String unitKey, Optional<PostgresTarget> target,
    Optional<DataSource> dataSource, PostgresTargets.SecretLookup secrets, ConfigMapLookup configMaps,
    DesiredObjects.Live live) {

  /** Reads a ConfigMap by namespace and name; empty when it does not exist. */
  @FunctionalInterface
  public interface ConfigMapLookup {
    Optional<ConfigMap> find(String namespace, String name);
  }

  public static String keyOf(DatabaseUnit unit) {
    return unit.getMetadata().getNamespace() + "/" + unit.getMetadata().getName();
  }
}
