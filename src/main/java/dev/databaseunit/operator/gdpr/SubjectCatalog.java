package dev.databaseunit.operator.gdpr;

import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.postgres.SqlIdentifier;
import java.sql.Array;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks a {@link SubjectPlan} against the database's catalog: every table and column exists, and the declared
 * order deletes children before the tables they reference (foreign keys from pg_constraint, plus the join
 * paths). A table outside the plan whose foreign key would block the deletion is reported too, before anything
 * is deleted. Names reach the catalog as bind parameters, never as SQL text.
 */
public final class SubjectCatalog {
  private SubjectCatalog() {}

  /** The plan, checked; throws {@link EventReason#SubjectPlanInvalid} with every problem found. */
  public static SubjectPlan verify(Connection connection, SubjectPlan plan) throws SQLException, UnitProblem {
    List<String> problems = new ArrayList<>();
    Map<String, Long> oids = new HashMap<>();
    for (var table : plan.tables()) {
      resolve(connection, table.table(), oids, problems);
      if (table.direct()) {
        requireColumn(connection, oids, table.table(), table.subjectColumn(), problems);
      } else {
        var via = table.via();
        requireColumn(connection, oids, table.table(), via.column(), problems);
        resolve(connection, via.parentTable(), oids, problems);
        requireColumn(connection, oids, via.parentTable(), via.parentKey(), problems);
        requireColumn(connection, oids, via.parentTable(), via.subjectColumn(), problems);
      }
    }
    if (!problems.isEmpty()) {
      throw new UnitProblem(EventReason.SubjectPlanInvalid, String.join("; ", problems));
    }
    List<ForeignKey> keys = new ArrayList<>(foreignKeys(connection, plan, oids, problems));
    for (var table : plan.tables()) {
      if (!table.direct()) {
        keys.add(new ForeignKey(table.table(), table.via().parentTable(), table.table() + " finds the subject's rows through "
            + table.via().parentTable() + "." + table.via().subjectColumn()));
      }
    }
    List<String> violations = DeletionOrder.violations(plan.tableNames(), keys);
    if (!violations.isEmpty()) {
      problems.addAll(violations);
      problems.add(suggestedOrder(plan, keys));
    }
    if (!problems.isEmpty()) {
      throw new UnitProblem(EventReason.SubjectPlanInvalid, String.join("; ", problems));
    }
    return plan;
  }

  /** The order derived from the keys, closest to the declared one, for the person fixing the spec. */
  private static String suggestedOrder(SubjectPlan plan, List<ForeignKey> keys) {
    try {
      return "an order that satisfies every key: " + String.join(", ", DeletionOrder.derive(plan.tableNames(), keys));
    } catch (IllegalArgumentException cycle) {
      return cycle.getMessage();
    }
  }

  private static void resolve(Connection connection, String table, Map<String, Long> oids, List<String> problems)
      throws SQLException {
    if (oids.containsKey(table)) {
      return;
    }
    try (var ps = connection.prepareStatement("SELECT to_regclass(?)::oid")) {
      ps.setString(1, SqlIdentifier.quoteQualified(table));
      try (var rs = ps.executeQuery()) {
        rs.next();
        long oid = rs.getLong(1);
        if (rs.wasNull()) {
          problems.add("table " + table + " does not exist");
          oids.put(table, null);
        } else {
          oids.put(table, oid);
        }
      }
    }
  }

  private static void requireColumn(Connection connection, Map<String, Long> oids, String table, String column,
      List<String> problems) throws SQLException {
    Long oid = oids.get(table);
    if (oid == null) {
      return;
    }
    try (var ps = connection.prepareStatement(
        "SELECT 1 FROM pg_attribute WHERE attrelid = ? AND attname = ? AND attnum > 0 AND NOT attisdropped")) {
      ps.setLong(1, oid);
      ps.setString(2, column);
      try (var rs = ps.executeQuery()) {
        if (!rs.next()) {
          problems.add("column " + table + "." + column + " does not exist");
        }
      }
    }
  }

  /**
   * Foreign keys that point at a subject table. Those from a table outside the plan that would refuse the
   * deletion (NO ACTION/RESTRICT) become problems: the erasure would fail on them, or leave their rows behind.
   */
  private static List<ForeignKey> foreignKeys(Connection connection, SubjectPlan plan, Map<String, Long> oids,
      List<String> problems) throws SQLException {
    Map<Long, String> byOid = new HashMap<>();
    plan.tables().forEach(t -> byOid.put(oids.get(t.table()), t.table()));
    List<ForeignKey> keys = new ArrayList<>();
    String sql = """
        SELECT c.conrelid, c.confrelid, c.conname, c.confdeltype, c.conrelid::regclass::text,
               (SELECT string_agg(a.attname, ', ' ORDER BY a.attnum) FROM pg_attribute a
                 WHERE a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey))
          FROM pg_constraint c
         WHERE c.contype = 'f' AND c.confrelid = ANY (?)
         ORDER BY c.conname
        """;
    try (var ps = connection.prepareStatement(sql)) {
      Array array = connection.createArrayOf("oid", byOid.keySet().toArray());
      ps.setArray(1, array);
      try (var rs = ps.executeQuery()) {
        while (rs.next()) {
          String parent = byOid.get(rs.getLong(2));
          String child = byOid.get(rs.getLong(1));
          String columns = rs.getString(6);
          char onDelete = rs.getString(4).charAt(0);
          String childName = child != null ? child : rs.getString(5);
          String what = childName + "." + columns + " references " + parent + " (" + rs.getString(3) + ")";
          if (child != null) {
            keys.add(new ForeignKey(child, parent, what));
          } else if (onDelete == 'a' || onDelete == 'r') {
            problems.add(what + ", but " + childName + " is not a subject table: add it to spec.gdpr.subjectTables");
          }
        }
      }
    }
    return keys;
  }
}
