package dev.databaseunit.operator.maintenance;

import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowSpec.Task;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * Read-only checks of the schema after the other tasks: every index valid, every constraint validated, and
 * {@code bt_index_check} of every B-tree (structure and ordering of its pages) with amcheck, which it creates when the
 * server has it; when it cannot, the summary in status says so and why.
 */
public final class ValidateIntegrityTask implements MaintenanceTask {

  @Override
  public Task kind() {
    return Task.ValidateIntegrity;
  }

  @Override
  public String run(Target target) throws SQLException {
    DataSource ds = target.direct();
    List<String> problems = new ArrayList<>();
    List<Catalog.Index> indexes = Catalog.indexes(ds, target.schema());
    indexes.stream().filter(i -> !i.valid()).forEach(i -> problems.add("index " + i.name() + " is invalid"));
    try (Connection c = ds.getConnection()) {
      try (var ps = c.prepareStatement("""
          SELECT conname FROM pg_constraint JOIN pg_namespace n ON n.oid = connamespace
          WHERE n.nspname = ? AND NOT convalidated ORDER BY conname""")) {
        ps.setString(1, target.schema());
        try (var rs = ps.executeQuery()) {
          while (rs.next()) {
            problems.add("constraint " + rs.getString(1) + " is NOT VALID");
          }
        }
      }
      String missing = Catalog.ensureExtension(ds, "amcheck");
      boolean amcheck = missing == null;
      int checked = 0;
      if (amcheck) {
        for (Catalog.Index index : indexes) {
          if (index.valid() && "btree".equals(index.accessMethod())) {
            try (var ps = c.prepareStatement("SELECT bt_index_check(?::oid::regclass)")) {
              ps.setLong(1, index.oid());
              ps.execute();
              checked++;
            } catch (SQLException e) {
              problems.add("amcheck of " + index.name() + ": " + e.getMessage());
            }
          }
        }
      }
      if (!problems.isEmpty()) {
        throw new IntegrityViolation(String.join("; ", problems));
      }
      return amcheck
          ? "all " + indexes.size() + " indexes valid, " + checked + " B-trees pass amcheck, all constraints validated"
          : "all " + indexes.size() + " indexes valid, all constraints validated; B-tree page checks NOT run: " + missing;
    }
  }

  @Override
  public String rollback(Target target) {
    return "nothing to undo: read-only checks";
  }

  static final class IntegrityViolation extends SQLException {
    IntegrityViolation(String message) {
      super(message);
    }
  }
}
