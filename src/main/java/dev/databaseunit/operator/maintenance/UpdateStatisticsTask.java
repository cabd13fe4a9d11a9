package dev.databaseunit.operator.maintenance;

import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowSpec.Task;
import java.sql.SQLException;

/** ANALYZE of every table in the unit's schema; fresh statistics for the planner after schema and index changes. */
public final class UpdateStatisticsTask implements MaintenanceTask {

  @Override
  public Task kind() {
    return Task.UpdateStatistics;
  }

  @Override
  public String run(Target target) throws SQLException {
    var tables = Catalog.tables(target.direct(), target.schema());
    try (var c = target.direct().getConnection(); var s = c.createStatement()) {
      for (String table : tables) {
        s.execute("ANALYZE " + table); // quoted by the server in Catalog.tables
      }
    }
    return "analyzed " + tables.size() + " tables";
  }

  @Override
  public String rollback(Target target) {
    return "nothing to undo: statistics only";
  }
}
