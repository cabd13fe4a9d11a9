package dev.databaseunit.operator.gdpr;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Deletes (or counts) a subject's rows table by table in the plan's order, inside the caller's transaction:
 * whoever calls it decides whether the whole erasure commits. Nothing here commits or rolls back.
 */
public final class SubjectEraser {
  /** Called after each table's delete, inside the transaction: a hook for audit, metrics and fault injection in tests. */
  @FunctionalInterface
  public interface DeletionListener {
    DeletionListener NONE = (table, rows) -> {};

    void deleted(String table, long rows) throws SQLException;
  }

  /** Rows deleted per table (in order) and, for tables named in {@code keyColumns}, those columns' values of the deleted rows. */
  public record Deleted(Map<String, Long> counts, Map<String, List<String>> keys) {}

  private SubjectEraser() {}

  /** @param keyColumns table → column whose values of the deleted rows are returned (row-keyed cache entries) */
  static Deleted delete(Connection tx, SubjectPlan plan, String subjectId, Map<String, String> keyColumns,
      DeletionListener listener) throws SQLException {
    Map<String, Long> counts = new LinkedHashMap<>();
    Map<String, List<String>> keys = new LinkedHashMap<>();
    for (var table : plan.tables()) {
      String keyColumn = keyColumns.get(table.table());
      long rows;
      try (var ps = tx.prepareStatement(SubjectSql.delete(table, keyColumn))) {
        SubjectSql.bindSubject(ps, subjectId);
        if (keyColumn == null) {
          rows = ps.executeUpdate();
        } else {
          List<String> values = new ArrayList<>();
          try (var rs = ps.executeQuery()) {
            while (rs.next()) {
              values.add(rs.getString(1));
            }
          }
          rows = values.size();
          keys.put(table.table(), values);
        }
      }
      counts.put(table.table(), rows);
      listener.deleted(table.table(), rows);
    }
    return new Deleted(counts, keys);
  }

  /** What {@link #delete} would remove, table by table. */
  static Map<String, Long> count(Connection connection, SubjectPlan plan, String subjectId) throws SQLException {
    Map<String, Long> counts = new LinkedHashMap<>();
    for (var table : plan.tables()) {
      try (var ps = connection.prepareStatement(SubjectSql.count(table))) {
        SubjectSql.bindSubject(ps, subjectId);
        try (var rs = ps.executeQuery()) {
          rs.next();
          counts.put(table.table(), rs.getLong(1));
        }
      }
    }
    return counts;
  }

  static long total(Map<String, Long> counts) {
    return counts.values().stream().mapToLong(Long::longValue).sum();
  }
}
