package dev.databaseunit.operator.schema;

import dev.databaseunit.operator.api.v1alpha1.ApplyIn;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.MigrationsSpec;
import dev.databaseunit.operator.databaseunit.UnitContext;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.postgres.SqlIdentifier;
import io.fabric8.kubernetes.api.model.ConfigMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;

/**
 * A unit's {@code spec.migrations} resolved: the schema, the checked scripts from its ConfigMaps, and when they are
 * applied. Read the same way by the DatabaseUnit capability and by a maintenance window's SchemaUpdate task, so
 * both see the same scripts and report the same problems.
 */
public record UnitMigrations(String schema, SortedMap<String, MigrationScripts.Script> scripts, ApplyIn applyIn) {

  /** The schema the unit's migrations manage (also the one maintenance tasks work on); public when unset. */
  public static String schemaOf(DatabaseUnit unit) {
    MigrationsSpec spec = unit.getSpec().migrations();
    return spec != null && spec.schema() != null ? spec.schema() : "public";
  }

  /**
   * @return empty when the unit declares no migrations
   * @throws UnitProblem when the schema name is invalid, a ConfigMap is missing or a script name is unusable
   */
  public static Optional<UnitMigrations> read(DatabaseUnit unit, UnitContext.ConfigMapLookup configMaps) throws UnitProblem {
    MigrationsSpec spec = unit.getSpec().migrations();
    if (spec == null || spec.configMaps() == null || spec.configMaps().isEmpty()) {
      return Optional.empty();
    }
    String schema = schemaOf(unit);
    if (!SqlIdentifier.isValid(schema)) {
      throw new UnitProblem(EventReason.MigrationInvalid,
          "spec.migrations.schema " + SqlIdentifier.describe(schema) + " is not a valid schema name");
    }
    String namespace = unit.getMetadata().getNamespace();
    Map<String, Map<String, String>> data = new LinkedHashMap<>();
    for (String name : spec.configMaps()) {
      Optional<ConfigMap> configMap = configMaps.find(namespace, name);
      if (configMap.isEmpty()) {
        throw new UnitProblem(EventReason.ConfigMapNotFound,
            "ConfigMap " + name + " referenced by spec.migrations.configMaps does not exist");
      }
      data.put(name, configMap.get().getData() != null ? configMap.get().getData() : Map.of());
    }
    var collected = MigrationScripts.collect(data);
    if (collected.problem().isPresent()) {
      throw new UnitProblem(EventReason.MigrationInvalid, collected.problem().get());
    }
    return Optional.of(new UnitMigrations(schema, collected.scripts(),
        spec.applyIn() != null ? spec.applyIn() : ApplyIn.Reconcile));
  }
}
