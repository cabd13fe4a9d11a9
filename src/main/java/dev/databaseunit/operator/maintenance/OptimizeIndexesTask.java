package dev.databaseunit.operator.maintenance;

import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowSpec.Task;
import dev.databaseunit.operator.api.v1alpha1.VectorIndexSpec;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.vector.WindowRebuilds;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * Rebuilds the unit's HNSW indexes declared with {@code rebuildIn: MaintenanceWindow} whose parameters changed (the
 * vector capability's build-next-to-it-and-swap, see {@link WindowRebuilds}; rollback swaps the old index back while
 * it is still there), then REINDEX CONCURRENTLY of the schema's invalid indexes and of its bloated B-tree indexes. Bloat is measured with
 * pgstattuple's {@code pgstatindex}, which the task creates when the server has it; without it only invalid indexes are
 * rebuilt (the summary says so and why). REINDEX CONCURRENTLY builds the new index beside the old one and swaps them only once the
 * new one is valid, so a failure leaves the old index in place plus an invalid {@code *_ccnew} copy, which the
 * rollback drops.
 */
public final class OptimizeIndexesTask implements MaintenanceTask {
  /** Below this average leaf density (percent) a B-tree is rebuilt; a fresh one is ~90 %. */
  static final double MIN_LEAF_DENSITY = 70.0;
  /** Indexes smaller than this many leaf pages are not worth a rebuild. */
  static final long MIN_LEAF_PAGES = 10;

  @Override
  public Task kind() {
    return Task.OptimizeIndexes;
  }

  @Override
  public String run(Target target) throws SQLException, UnitProblem {
    DataSource ds = target.direct();
    String missing = Catalog.ensureExtension(ds, "pgstattuple");
    boolean measured = missing == null;
    List<String> rebuilt = new ArrayList<>();
    try (Connection c = ds.getConnection()) {
      // First, so an invalid replacement a rebuild left behind is dropped by the plan, not reindexed below.
      for (VectorIndexSpec spec : WindowRebuilds.deferredTo(target.vectorIndexes())) {
        WindowRebuilds.rebuild(c, spec).ifPresent(rebuilt::add);
      }
      for (Catalog.Index index : Catalog.indexes(ds, target.schema())) {
        if (index.name().contains("_ccnew") || !needsRebuild(c, index, measured)) {
          continue;
        }
        try (var s = c.createStatement()) {
          // Runs outside a transaction (autocommit), as REINDEX CONCURRENTLY requires.
          s.execute("REINDEX INDEX CONCURRENTLY " + index.qualifiedName());
        }
        rebuilt.add(index.name());
      }
    }
    String summary = rebuilt.isEmpty() ? "no index needed a rebuild" : "rebuilt " + String.join(", ", rebuilt);
    return measured ? summary : summary + " (bloat NOT measured, only invalid indexes checked: " + missing + ")";
  }

  private static boolean needsRebuild(Connection c, Catalog.Index index, boolean measured) throws SQLException {
    if (!index.valid()) {
      return true;
    }
    if (!measured || !"btree".equals(index.accessMethod())) {
      return false;
    }
    try (var ps = c.prepareStatement("SELECT avg_leaf_density, leaf_pages FROM pgstatindex(?::oid::regclass)")) {
      ps.setLong(1, index.oid());
      try (var rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(2) >= MIN_LEAF_PAGES && rs.getDouble(1) < MIN_LEAF_DENSITY;
      }
    }
  }

  @Override
  public String rollback(Target target) throws SQLException, UnitProblem {
    List<String> undone = new ArrayList<>();
    DataSource ds = target.direct();
    try (Connection c = ds.getConnection()) {
      for (VectorIndexSpec spec : WindowRebuilds.deferredTo(target.vectorIndexes())) {
        WindowRebuilds.swapBack(c, spec).ifPresent(undone::add);
      }
      for (Catalog.Index index : Catalog.indexes(ds, target.schema())) {
        if (!index.valid() && index.name().contains("_ccnew")) {
          try (var s = c.createStatement()) {
            s.execute("DROP INDEX CONCURRENTLY IF EXISTS " + index.qualifiedName());
          }
          undone.add("dropped " + index.name());
        }
      }
    }
    return undone.isEmpty() ? "no unfinished rebuild to clean up" : String.join("; ", undone);
  }
}
