package dev.databaseunit.operator.backup;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Per-table facts recorded at backup time and compared after a restore: the exact row count of every user
 * table and, for tables small enough that it is cheap, an order-independent checksum of the rows' text.
 */
public final class TableSnapshot {
  /** Tables up to this size get a checksum; bigger ones only a row count (a checksum would read them twice). */
  static final long CHECKSUM_MAX_BYTES = 64L << 20;

  private TableSnapshot() {}

  /** @param checksum sum of hashtextextended(row::text), or null for tables too big to checksum cheaply */
  public record Table(String schema, String name, long rows, String checksum) {
    public String qualifiedName() {
      return schema + "." + name;
    }
  }

  /** User tables (not catalogs, not extension-owned), with counts, read in the connection's current transaction. */
  public static List<Table> take(Connection connection) throws SQLException {
    List<String[]> names = new ArrayList<>();
    try (var st = connection.createStatement(); var rs = st.executeQuery("""
        SELECT n.nspname, c.relname, pg_relation_size(c.oid) <= %d, format('%%I.%%I', n.nspname, c.relname)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%%'
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
        ORDER BY 1, 2""".formatted(CHECKSUM_MAX_BYTES))) {
      while (rs.next()) {
        names.add(new String[] {rs.getString(1), rs.getString(2), rs.getBoolean(3) ? "checksum" : "", rs.getString(4)});
      }
    }
    List<Table> tables = new ArrayList<>();
    for (String[] n : names) {
      // Names come from the catalog, quoted by the server itself (format %I), so any legal name works.
      String table = n[3];
      String sql = n[2].isEmpty()
          ? "SELECT count(*), NULL FROM " + table
          : "SELECT count(*), coalesce(sum(hashtextextended(t::text, 0)), 0)::text FROM " + table + " t";
      try (var st = connection.createStatement(); var rs = st.executeQuery(sql)) {
        rs.next();
        tables.add(new Table(n[0], n[1], rs.getLong(1), rs.getString(2)));
      }
    }
    return tables;
  }
}
