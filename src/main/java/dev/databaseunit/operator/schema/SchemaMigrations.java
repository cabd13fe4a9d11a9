package dev.databaseunit.operator.schema;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus;
import dev.databaseunit.operator.api.v1alpha1.MigrationsSpec;
import dev.databaseunit.operator.databaseunit.UnitCapability;
import dev.databaseunit.operator.databaseunit.UnitContext;
import dev.databaseunit.operator.databaseunit.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.events.EventRecorder;
import dev.databaseunit.operator.postgres.SqlIdentifier;
import io.fabric8.kubernetes.api.model.ConfigMap;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.flywaydb.core.api.FlywayException;

/**
 * Applies the Flyway migrations from the unit's ConfigMaps ({@code spec.migrations}) to its schema on every
 * reconcile (a no-op when nothing is pending) and reports the applied version and the pending count in
 * {@code status.database}. Runs before the vector indexes, which need the tables the migrations create.
 * Reconciles come often (the pooler asks for one per sample interval), so once the schema matched a given set
 * of scripts on a given database, Flyway is not asked again for {@link #RECHECK} unless the scripts, schema or
 * database change; the recheck catches drift such as someone else migrating or editing the history.
 */
public final class SchemaMigrations implements UnitCapability {
  static final Duration RECHECK = Duration.ofMinutes(5);

  private final SchemaMigrator migrator;
  private final EventRecorder events;
  private final Clock clock;
  private final Map<String, Checked> lastChecked = new ConcurrentHashMap<>();

  /** What was last found in agreement, and when. */
  private record Checked(Object inputs, Instant at, SchemaMigrator.SchemaState state) {}

  public SchemaMigrations(SchemaMigrator migrator, EventRecorder events, Clock clock) {
    this.migrator = migrator;
    this.events = events;
    this.clock = clock;
  }

  @Override
  public String name() {
    return "migrations";
  }

  @Override
  public Outcome reconcile(UnitContext context, DatabaseUnitStatus status) {
    MigrationsSpec spec = context.unit().getSpec().migrations();
    if (spec == null || spec.configMaps() == null || spec.configMaps().isEmpty()) {
      return Outcome.done(withSchema(status, null, null));
    }
    String schema = spec.schema() != null ? spec.schema() : "public";
    if (!SqlIdentifier.isValid(schema)) {
      return Outcome.degraded(status, new UnitProblem(EventReason.MigrationInvalid,
          "spec.migrations.schema " + SqlIdentifier.describe(schema) + " is not a valid schema name"));
    }
    String namespace = context.unit().getMetadata().getNamespace();
    Map<String, Map<String, String>> data = new LinkedHashMap<>();
    for (String name : spec.configMaps()) {
      Optional<ConfigMap> configMap = context.configMaps().find(namespace, name);
      if (configMap.isEmpty()) {
        return Outcome.degraded(status, new UnitProblem(EventReason.ConfigMapNotFound,
            "ConfigMap " + name + " referenced by spec.migrations.configMaps does not exist"));
      }
      data.put(name, configMap.get().getData() != null ? configMap.get().getData() : Map.of());
    }
    var collected = MigrationScripts.collect(data);
    if (collected.problem().isPresent()) {
      return Outcome.degraded(status, new UnitProblem(EventReason.MigrationInvalid, collected.problem().get()));
    }
    var inputs = List.of(collected.scripts(), schema, context.target());
    Checked checked = lastChecked.get(context.unitKey());
    if (checked != null && checked.inputs().equals(inputs) && clock.instant().isBefore(checked.at().plus(RECHECK))) {
      return Outcome.done(withSchema(status, checked.state().version(), checked.state().pending()));
    }
    lastChecked.remove(context.unitKey());
    try {
      var state = migrator.migrate(context.dataSource().orElseThrow(), schema, collected.scripts());
      lastChecked.put(context.unitKey(), new Checked(inputs, clock.instant(), state));
      if (!state.appliedNow().isEmpty()) {
        events.record(context.unit(), EventRecorder.Type.Normal, EventReason.MigrationsApplied,
            "Applied " + String.join(", ", state.appliedNow()) + " to schema " + schema + "; now at version " + state.version());
      }
      return Outcome.done(withSchema(status, state.version(), state.pending()));
    } catch (SchemaMigrator.MigrationFailure failure) {
      var state = failure.state();
      EventReason reason = failure.kind() == SchemaMigrator.MigrationFailure.Kind.FAILED
          ? EventReason.MigrationFailed : EventReason.MigrationValidationFailed;
      String at = state.version() != null ? "version " + state.version() : "no applied version";
      return Outcome.degraded(withSchema(status, state.version(), state.pending()),
          new UnitProblem(reason, failure.getMessage() + "; schema " + schema + " stays at " + at, failure));
    } catch (FlywayException e) {
      // Flyway could not even read the schema history (connection lost, permissions).
      return Outcome.degraded(status, new UnitProblem(EventReason.MigrationFailed,
          "Cannot read the schema history of " + schema + ": " + e.getMessage(), e));
    }
  }

  @Override
  public void unitDeleted(String unitKey) {
    lastChecked.remove(unitKey);
  }

  private static DatabaseUnitStatus withSchema(DatabaseUnitStatus status, String version, Integer pending) {
    var db = status.database();
    if (db == null) {
      return status;
    }
    return status.withDatabase(new DatabaseUnitStatus.DatabaseStatus(db.serverVersion(), db.extensions(), version, pending));
  }
}
