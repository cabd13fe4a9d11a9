package dev.databaseunit.operator.vector;

import dev.databaseunit.operator.api.v1alpha1.VectorIndexSpec;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.postgres.SqlIdentifier;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Reads what the database holds for vector indexes: every spec value reaches SQL only as a bind parameter,
 * and a name is quoted into a statement only after it was checked here and found in the catalog.
 */
public final class VectorCatalog {
  private VectorCatalog() {}

  /**
   * Checks a declared index against the catalog: valid identifiers, the table, the column, its type and its
   * dimensions. Each failure is its own Degraded reason.
   */
  public static VectorTable validate(Connection connection, VectorIndexSpec spec) throws SQLException, UnitProblem {
    String qualified = spec.table();
    int dot = qualified == null ? -1 : qualified.indexOf('.');
    String schema = dot < 0 ? null : qualified.substring(0, dot);
    String table = dot < 0 ? qualified : qualified.substring(dot + 1);
    for (var identifier : List.of(
        new String[] {"name", spec.name()}, new String[] {"table", table}, new String[] {"column", spec.column()})) {
      if (!SqlIdentifier.isValid(identifier[1])) {
        throw invalidIdentifier(spec, identifier[0], identifier[1]);
      }
    }
    if (schema != null && !SqlIdentifier.isValid(schema)) {
      throw invalidIdentifier(spec, "table schema", schema);
    }
    if (spec.dimensions() == null || spec.dimensions() < 1) {
      throw new UnitProblem(EventReason.VectorDimensionsMismatch,
          "vectorIndexes " + spec.name() + ": dimensions must be a positive number");
    }
    VectorTable found;
    try (PreparedStatement ps = connection.prepareStatement("""
        SELECT n.nspname, c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relname = ? AND c.relkind IN ('r', 'p') AND n.nspname = coalesce(?, current_schema())""")) {
      ps.setString(1, table);
      ps.setString(2, schema);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new UnitProblem(EventReason.VectorTableNotFound,
              "vectorIndexes " + spec.name() + ": table " + qualified + " does not exist");
        }
        found = new VectorTable(rs.getString(1), table, rs.getLong(2));
      }
    }
    try (PreparedStatement ps = connection.prepareStatement("""
        SELECT t.typname, n.nspname, a.atttypmod FROM pg_catalog.pg_attribute a
        JOIN pg_catalog.pg_type t ON t.oid = a.atttypid JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
        WHERE a.attrelid = ? AND a.attname = ? AND a.attnum > 0 AND NOT a.attisdropped""")) {
      ps.setLong(1, found.oid());
      ps.setString(2, spec.column());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new UnitProblem(EventReason.VectorColumnNotFound,
              "vectorIndexes " + spec.name() + ": table " + qualified + " has no column " + spec.column());
        }
        if (!rs.getString(1).equals("vector")) {
          throw new UnitProblem(EventReason.VectorColumnNotVector, "vectorIndexes " + spec.name() + ": column "
              + spec.column() + " of " + qualified + " is of type " + rs.getString(1) + ", not vector");
        }
        // pgvector keeps the declared dimensions in the type modifier; -1 means vector without dimensions,
        // which HNSW cannot index.
        int dimensions = rs.getInt(3);
        if (dimensions != spec.dimensions()) {
          throw new UnitProblem(EventReason.VectorDimensionsMismatch, "vectorIndexes " + spec.name() + ": column "
              + spec.column() + " of " + qualified + " is " + (dimensions < 0 ? "vector without dimensions" : "vector(" + dimensions + ")")
              + " but the spec declares " + spec.dimensions() + " dimensions");
        }
      }
    }
    return found;
  }

  private static UnitProblem invalidIdentifier(VectorIndexSpec spec, String what, String value) {
    return new UnitProblem(EventReason.VectorInvalidIdentifier, "vectorIndexes " + SqlIdentifier.describe(spec.name())
        + ": " + what + " " + SqlIdentifier.describe(value)
        + " is not a plain lower-case SQL identifier (letters, digits, underscores; at most 63)");
  }

  /**
   * The HNSW index of that name in the table's schema, with its parameters as the catalog has them (reloptions
   * and operator class, never assumed). A relation of that name that is not an HNSW index on the table is a
   * conflict the operator must not touch.
   */
  public static Optional<IndexPlan.Observed> index(Connection connection, VectorTable table, String indexName)
      throws SQLException, UnitProblem {
    try (PreparedStatement ps = connection.prepareStatement("""
        SELECT c.oid, c.relkind, x.indisvalid, x.indrelid, am.amname, opc.opcname, a.attname, c.reloptions
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_catalog.pg_index x ON x.indexrelid = c.oid
        LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
        LEFT JOIN pg_catalog.pg_opclass opc ON opc.oid = x.indclass[0]
        LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[0]
        WHERE c.relname = ? AND n.nspname = ?""")) {
      ps.setString(1, indexName);
      ps.setString(2, table.schema());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        boolean hnswOnTable = "i".equals(rs.getString(2)) && rs.getLong(4) == table.oid() && "hnsw".equals(rs.getString(5));
        if (!hnswOnTable) {
          throw new UnitProblem(EventReason.VectorIndexNameTaken, "vectorIndexes " + indexName + ": " + table.schema()
              + "." + indexName + " already exists and is not an HNSW index on " + table.table());
        }
        Array options = rs.getArray(8);
        List<String> reloptions = options == null ? List.of() : Arrays.asList((String[]) options.getArray());
        return Optional.of(new IndexPlan.Observed(rs.getLong(1), rs.getBoolean(3),
            HnswParameters.fromCatalog(rs.getString(7), rs.getString(6), reloptions)));
      }
    }
  }

  public static long sizeBytes(Connection connection, long indexOid) throws SQLException {
    return single(connection, "SELECT pg_catalog.pg_relation_size(?::oid)", indexOid).orElse(0L);
  }

  /**
   * Progress of the index build running in a backend, in percent: tuples loaded over tuples to load (pgvector
   * reports the HNSW graph build that way), else blocks scanned. Empty while the build waits or is not running.
   */
  public static OptionalInt buildProgress(Connection connection, int pid) throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement(
        "SELECT tuples_done, tuples_total, blocks_done, blocks_total FROM pg_catalog.pg_stat_progress_create_index WHERE pid = ?")) {
      ps.setInt(1, pid);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return OptionalInt.empty();
        }
        long tuplesDone = rs.getLong(1);
        long tuplesTotal = rs.getLong(2);
        long blocksDone = rs.getLong(3);
        long blocksTotal = rs.getLong(4);
        if (tuplesTotal > 0) {
          return OptionalInt.of((int) Math.min(100, tuplesDone * 100 / tuplesTotal));
        }
        return blocksTotal > 0 ? OptionalInt.of((int) Math.min(100, blocksDone * 100 / blocksTotal)) : OptionalInt.of(0);
      }
    }
  }

  /** Whether some backend (another operator process before a restart, a person) is building this index right now. */
  public static boolean isBeingBuilt(Connection connection, long indexOid) throws SQLException {
    return single(connection, "SELECT count(*) FROM pg_catalog.pg_stat_progress_create_index WHERE index_relid = ?::oid",
        indexOid).orElse(0L) > 0;
  }

  /** The default of {@code hnsw.ef_search} for new sessions of {@code role} in this database, if one is set. */
  public static OptionalInt roleEfSearch(Connection connection, String role) throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement("""
        SELECT s.setconfig FROM pg_catalog.pg_db_role_setting s JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase
        JOIN pg_catalog.pg_roles r ON r.oid = s.setrole WHERE d.datname = current_database() AND r.rolname = ?""")) {
      ps.setString(1, role);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          for (String setting : (String[]) rs.getArray(1).getArray()) {
            if (setting.startsWith("hnsw.ef_search=")) {
              return OptionalInt.of(Integer.parseInt(setting.substring("hnsw.ef_search=".length())));
            }
          }
        }
        return OptionalInt.empty();
      }
    }
  }

  /** Rows inserted, updated and deleted in the table since its statistics began (they drift from the index's graph). */
  public static long writes(Connection connection, long tableOid) throws SQLException {
    return single(connection, "SELECT n_tup_ins + n_tup_upd + n_tup_del FROM pg_catalog.pg_stat_user_tables WHERE relid = ?::oid",
        tableOid).orElse(0L);
  }

  /** Live rows of the table as the statistics count them. */
  public static long liveRows(Connection connection, long tableOid) throws SQLException {
    return single(connection, "SELECT n_live_tup FROM pg_catalog.pg_stat_user_tables WHERE relid = ?::oid", tableOid).orElse(0L);
  }

  /** Index scans of the index and sequential scans of its table, as counted by the statistics collector. */
  public static long[] scanCounts(Connection connection, long indexOid) throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement("""
        SELECT i.idx_scan, t.seq_scan FROM pg_catalog.pg_stat_user_indexes i
        JOIN pg_catalog.pg_stat_user_tables t ON t.relid = i.relid WHERE i.indexrelid = ?::oid""")) {
      ps.setLong(1, indexOid);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? new long[] {rs.getLong(1), rs.getLong(2)} : new long[] {0, 0};
      }
    }
  }

  private static Optional<Long> single(Connection connection, String sql, long parameter) throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement(sql)) {
      ps.setLong(1, parameter);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getLong(1)) : Optional.empty();
      }
    }
  }
}
