package dev.databaseunit.operator.maintenance;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import dev.databaseunit.operator.postgres.SqlIdentifier;
import javax.sql.DataSource;

/**
 * What the tasks look up in the system catalogs. Names found in the catalog are quoted by the server
 * ({@code format('%I.%I')}), so tables and indexes with any name are addressed safely.
 */
final class Catalog {
  private Catalog() {}

  /** An index of the schema: its quoted qualified name, access method and validity. */
  record Index(String qualifiedName, String name, String accessMethod, boolean valid, long oid) {}

  /** Quoted qualified names of the ordinary and partitioned tables of the schema. */
  static List<String> tables(DataSource ds, String schema) throws SQLException {
    List<String> tables = new ArrayList<>();
    try (Connection c = ds.getConnection(); var ps = c.prepareStatement("""
        SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ? AND c.relkind IN ('r', 'p') ORDER BY c.relname""")) {
      ps.setString(1, schema);
      try (var rs = ps.executeQuery()) {
        while (rs.next()) {
          tables.add(rs.getString(1));
        }
      }
    }
    return tables;
  }

  static List<Index> indexes(DataSource ds, String schema) throws SQLException {
    List<Index> indexes = new ArrayList<>();
    try (Connection c = ds.getConnection(); var ps = c.prepareStatement("""
        SELECT format('%I.%I', n.nspname, ic.relname), ic.relname, am.amname, i.indisvalid, ic.oid
        FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ic.relnamespace
        JOIN pg_am am ON am.oid = ic.relam WHERE n.nspname = ? ORDER BY ic.relname""")) {
      ps.setString(1, schema);
      try (var rs = ps.executeQuery()) {
        while (rs.next()) {
          indexes.add(new Index(rs.getString(1), rs.getString(2), rs.getString(3), rs.getBoolean(4), rs.getLong(5)));
        }
      }
    }
    return indexes;
  }

  /**
   * Creates a contrib extension a task's checks need (amcheck, pgstattuple) when the server has it.
   *
   * @return null once it is installed, otherwise why not, for the task's summary in status
   */
  static String ensureExtension(DataSource ds, String extension) throws SQLException {
    if (extensionInstalled(ds, extension)) {
      return null;
    }
    try (Connection c = ds.getConnection(); var ps = c.prepareStatement("SELECT 1 FROM pg_available_extensions WHERE name = ?")) {
      ps.setString(1, extension);
      try (var rs = ps.executeQuery()) {
        if (!rs.next()) {
          return extension + " is not available on this server (install the PostgreSQL contrib package)";
        }
      }
      try (var st = c.createStatement()) {
        st.execute("CREATE EXTENSION IF NOT EXISTS " + SqlIdentifier.quote(extension));
      }
      return null;
    } catch (SQLException e) {
      if (!"42501".equals(e.getSQLState())) {
        throw e;
      }
      return extension + " could not be created by the operator's role (" + e.getMessage() + "): grant it, or create it once as "
          + "a superuser";
    }
  }

  static boolean extensionInstalled(DataSource ds, String extension) throws SQLException {
    try (Connection c = ds.getConnection(); var ps = c.prepareStatement("SELECT 1 FROM pg_extension WHERE extname = ?")) {
      ps.setString(1, extension);
      try (var rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }
}
