package dev.databaseunit.operator.maintenance;

import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowSpec.Task;
import dev.databaseunit.operator.schema.SchemaMigrator;

/**
 * Applies the unit's pending ConfigMap migrations with the schema capability's migrator, all in one transaction
 * ({@link SchemaMigrator.Transactions#ALL_PENDING}): PostgreSQL's DDL is transactional, so a failing migration
 * leaves the schema at the version it had before the task. Committed migrations are not undone by a later task's
 * failure (Flyway has no free undo). Units with {@code spec.migrations.applyIn: MaintenanceWindow} get their
 * migrations only from here.
 */
public final class SchemaUpdateTask implements MaintenanceTask {
  private final SchemaMigrator migrator;

  public SchemaUpdateTask(SchemaMigrator migrator) {
    this.migrator = migrator;
  }

  @Override
  public Task kind() {
    return Task.SchemaUpdate;
  }

  @Override
  public String run(Target target) throws SchemaMigrator.MigrationFailure {
    if (target.migrations().isEmpty()) {
      return "no migrations declared (spec.migrations)";
    }
    try {
      var state = migrator.migrate(target.direct(), target.schema(), target.migrations(), SchemaMigrator.Transactions.ALL_PENDING);
      return state.appliedNow().isEmpty()
          ? "schema " + target.schema() + " already at version " + state.version()
          : "applied " + String.join(", ", state.appliedNow()) + "; schema " + target.schema() + " now at version " + state.version();
    } catch (SchemaMigrator.MigrationFailure failure) {
      String at = failure.state().version() != null ? "version " + failure.state().version() : "no applied version";
      throw new SchemaMigrator.MigrationFailure(failure.kind(), failure.getMessage() + "; schema " + target.schema()
          + " stays at " + at, failure.state(), failure);
    }
  }

  @Override
  public String rollback(Target target) {
    return "the migration transaction was rolled back by PostgreSQL; committed migrations are kept";
  }
}
