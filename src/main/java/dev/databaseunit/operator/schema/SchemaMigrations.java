package dev.databaseunit.operator.schema;

import dev.databaseunit.operator.api.v1alpha1.ApplyIn;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus;
import dev.databaseunit.operator.databaseunit.UnitCapability;
import dev.databaseunit.operator.databaseunit.UnitContext;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.events.EventRecorder;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.flywaydb.core.api.FlywayException;

/**
 * Applies the Flyway migrations from the unit's ConfigMaps ({@code spec.migrations}) to its schema on every
 * reconcile (a no-op when nothing is pending) and reports the applied version and the pending count in
 * {@code status.database}. With {@code applyIn: MaintenanceWindow} it never migrates: it validates the applied
 * history and reports what is pending, and the maintenance window's SchemaUpdate task applies it. Runs before the vector indexes, which need the tables the migrations create.
 * Reconciles come often (the pooler asks for one per sample interval), so once the schema matched a given set
 * of scripts on a given database, Flyway is not asked again for {@link #RECHECK} unless the scripts, schema or
 * database change; the recheck catches drift such as someone else migrating or editing the history.
 */
public final class SchemaMigrations implements UnitCapability {
  static final Duration RECHECK = Duration.ofMinutes(5);
  /** How soon a unit with migrations waiting for a window looks again (a window may have applied them). */
  static final Duration PENDING_RECHECK = Duration.ofMinutes(1);

  private final SchemaMigrator migrator;
  private final EventRecorder events;
  private final Clock clock;
  private final Map<String, Checked> lastChecked = new ConcurrentHashMap<>();
  /** The pending state last announced per unit, so waiting for a window is one Event, not one per reconcile. */
  private final Map<String, SchemaMigrator.SchemaState> announcedWaiting = new ConcurrentHashMap<>();

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
    Optional<UnitMigrations> read;
    try {
      read = UnitMigrations.read(context.unit(), context.configMaps());
    } catch (UnitProblem problem) {
      return Outcome.degraded(status, problem);
    }
    if (read.isEmpty()) {
      return Outcome.done(withSchema(status, null, null));
    }
    UnitMigrations migrations = read.get();
    String schema = migrations.schema();
    boolean inWindow = migrations.applyIn() == ApplyIn.MaintenanceWindow;
    var inputs = List.of(migrations.scripts(), schema, context.target(), migrations.applyIn());
    Checked checked = lastChecked.get(context.unitKey());
    if (checked != null && checked.inputs().equals(inputs) && clock.instant().isBefore(checked.at().plus(RECHECK))) {
      return Outcome.done(withSchema(status, checked.state().version(), checked.state().pending()));
    }
    lastChecked.remove(context.unitKey());
    DataSource dataSource = dev.databaseunit.operator.postgres.TimedDataSource.forPurpose(context.dataSource().orElseThrow(),
        dev.databaseunit.operator.postgres.DatabaseTimeouts.Purpose.MIGRATIONS);
    try {
      if (inWindow) {
        return awaitingWindow(context, status, inputs, migrator.inspect(dataSource, schema, migrations.scripts()), schema);
      }
      var state = migrator.migrate(dataSource, schema, migrations.scripts(), SchemaMigrator.Transactions.EACH);
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

  /**
   * {@code applyIn: MaintenanceWindow}: pending migrations are the window's SchemaUpdate task's job. They are
   * reported (status and an Event) without making the unit less Ready: waiting for the window is the normal
   * state. While some are pending the result is not cached, so the count drops soon after a window applied them.
   */
  private Outcome awaitingWindow(UnitContext context, DatabaseUnitStatus status, Object inputs, SchemaMigrator.SchemaState state,
      String schema) {
    var reported = withSchema(status, state.version(), state.pending());
    if (state.pending() == 0) {
      lastChecked.put(context.unitKey(), new Checked(inputs, clock.instant(), state));
      return Outcome.done(reported);
    }
    if (!state.equals(announcedWaiting.put(context.unitKey(), state))) {
      events.record(context.unit(), EventRecorder.Type.Normal, EventReason.MigrationsAwaitingWindow,
          state.pending() + " pending migration(s) for schema " + schema + " (at " + (state.version() != null ? "version "
              + state.version() : "no applied version") + ") wait for a MaintenanceWindow with the SchemaUpdate task "
              + "(spec.migrations.applyIn: MaintenanceWindow)");
    }
    return Outcome.done(reported).recheckAfter(PENDING_RECHECK);
  }

  @Override
  public void unitDeleted(String unitKey) {
    lastChecked.remove(unitKey);
    announcedWaiting.remove(unitKey);
  }

  private static DatabaseUnitStatus withSchema(DatabaseUnitStatus status, String version, Integer pending) {
    var db = status.database();
    if (db == null) {
      return status;
    }
    return status.withDatabase(new DatabaseUnitStatus.DatabaseStatus(db.serverVersion(), db.extensions(), version, pending,
        db.clientConnections()));
  }
}
