package dev.databaseunit.operator.postgres;

import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the operator finds in, and the least it ensures about, a unit's database: the server version and the
 * extensions the spec lists, created when missing.
 */
public final class DatabaseInventory {

  /**
   * @param extensions installed extension name → version, for the listed ones
   * @param operatorRole the role the operator logs in as
   * @param broadAttributes the attributes of that role beyond what the operator needs (SUPERUSER, BYPASSRLS, ...)
   */
  public record Found(String serverVersion, Map<String, String> extensions, String operatorRole, List<String> broadAttributes,
      int clientConnections) {}

  private DatabaseInventory() {}

  public static Found ensure(Connection connection, List<String> wantedExtensions) throws SQLException, UnitProblem {
    String version;
    int clientConnections;
    // reserved_connections exists from PostgreSQL 16; current_setting(..., true) is null before.
    try (var st = connection.createStatement(); var rs = st.executeQuery("SELECT current_setting('server_version'), "
        + "current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int "
        + "- coalesce(current_setting('reserved_connections', true)::int, 0)")) {
      rs.next();
      version = rs.getString(1);
      clientConnections = rs.getInt(2);
    }
    String role;
    List<String> broad = new java.util.ArrayList<>();
    try (var st = connection.createStatement(); var rs = st.executeQuery(
        "SELECT rolname, rolsuper, rolbypassrls, rolreplication FROM pg_roles WHERE rolname = current_user")) {
      rs.next();
      role = rs.getString(1);
      for (int i = 2; i <= 4; i++) {
        if (rs.getBoolean(i)) {
          broad.add(List.of("SUPERUSER", "BYPASSRLS", "REPLICATION").get(i - 2));
        }
      }
    }
    Map<String, String> installed = new TreeMap<>();
    for (String extension : wantedExtensions) {
      String quoted;
      try {
        quoted = SqlIdentifier.quote(extension);
      } catch (IllegalArgumentException e) {
        throw new UnitProblem(EventReason.ExtensionUnavailable, "Extension name " + SqlIdentifier.describe(extension) + " is not valid");
      }
      try (var st = connection.createStatement()) {
        st.execute("CREATE EXTENSION IF NOT EXISTS " + quoted);
      } catch (SQLException e) {
        throw new UnitProblem(EventReason.ExtensionUnavailable,
            "Cannot create extension " + extension + ": " + e.getMessage() + " (install it on the server or grant CREATE on the database)", e);
      }
      try (var ps = connection.prepareStatement("SELECT extversion FROM pg_extension WHERE extname = ?")) {
        ps.setString(1, extension);
        try (var rs = ps.executeQuery()) {
          if (rs.next()) {
            installed.put(extension, rs.getString(1));
          }
        }
      }
    }
    return new Found(version, installed, role, List.copyOf(broad), clientConnections);
  }
}
