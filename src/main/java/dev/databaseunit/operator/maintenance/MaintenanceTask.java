package dev.databaseunit.operator.maintenance;

import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowSpec.Task;
import dev.databaseunit.operator.api.v1alpha1.VectorIndexSpec;
import dev.databaseunit.operator.schema.MigrationScripts;
import java.util.List;
import java.util.SortedMap;
import javax.sql.DataSource;

/**
 * One task of a maintenance run. Tasks run against the database directly (PgBouncer is paused), each with its
 * rollback. A rollback must work from the database's state alone: after an operator restart it runs without the
 * memory of the run that failed.
 */
public interface MaintenanceTask {

  Task kind();

  /** Does the work; returns a one-line summary for status.run.tasks[].message. Throws on failure. */
  String run(Target target) throws Exception;

  /** Undoes what {@link #run} changed and can still be undone; idempotent. Returns a summary. */
  String rollback(Target target) throws Exception;

  /**
   * What a task works on.
   *
   * @param direct the unit's database, not through PgBouncer
   * @param schema the schema the unit's migrations manage
   * @param migrations the unit's checked migration scripts by file name, from its ConfigMaps (empty: none declared)
   * @param vectorIndexes the unit's {@code spec.vectorIndexes} (OptimizeIndexes rebuilds those deferred to a window)
   */
  record Target(String unitKey, DataSource direct, String schema, SortedMap<String, MigrationScripts.Script> migrations,
      List<VectorIndexSpec> vectorIndexes) {}
}
