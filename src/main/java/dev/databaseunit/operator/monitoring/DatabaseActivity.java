package dev.databaseunit.operator.monitoring;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * One sample of a unit's database as PostgreSQL sees it: sessions from pg_stat_activity and, when the
 * pg_stat_statements extension is loaded, cumulative statement timings.
 *
 * @param statements cumulative totals per queryid; empty when pg_stat_statements is not available
 */
public record DatabaseActivity(int connections, int active, int idleInTransaction, int slowQueries, int maxConnections,
    Map<Long, StatementLatency.Totals> statements) {

  /** Reads a sample; {@code slowAfter} is how long an active query must have run to count as slow. */
  public static DatabaseActivity read(Connection connection, Duration slowAfter) throws SQLException {
    int connections;
    int active;
    int idleInTransaction;
    int slow;
    try (var ps = connection.prepareStatement("""
        SELECT count(*),
               count(*) FILTER (WHERE state = 'active'),
               count(*) FILTER (WHERE state LIKE 'idle in transaction%'),
               count(*) FILTER (WHERE state = 'active' AND now() - query_start > make_interval(secs => ?))
        FROM pg_stat_activity
        WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()""")) {
      ps.setDouble(1, slowAfter.toMillis() / 1000.0);
      try (var rs = ps.executeQuery()) {
        rs.next();
        connections = rs.getInt(1);
        active = rs.getInt(2);
        idleInTransaction = rs.getInt(3);
        slow = rs.getInt(4);
      }
    }
    int max;
    try (var st = connection.createStatement(); var rs = st.executeQuery("SELECT current_setting('max_connections')::int")) {
      rs.next();
      max = rs.getInt(1);
    }
    return new DatabaseActivity(connections, active, idleInTransaction, slow, max, statements(connection));
  }

  private static Map<Long, StatementLatency.Totals> statements(Connection connection) throws SQLException {
    Map<Long, StatementLatency.Totals> totals = new HashMap<>();
    try (var st = connection.createStatement(); var rs = st.executeQuery(
        "SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'")) {
      if (!rs.next()) {
        return totals;
      }
    }
    boolean autoCommit = connection.getAutoCommit();
    connection.setAutoCommit(false);
    try (var st = connection.createStatement()) {
      // Not loaded through shared_preload_libraries → the view raises; the savepoint keeps the connection usable.
      st.execute("SAVEPOINT statements");
      try (var rs = st.executeQuery("""
          SELECT queryid, calls, total_exec_time FROM pg_stat_statements
          WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND queryid IS NOT NULL""")) {
        while (rs.next()) {
          totals.merge(rs.getLong(1), new StatementLatency.Totals(rs.getLong(2), rs.getDouble(3)),
              (a, b) -> new StatementLatency.Totals(a.calls() + b.calls(), a.totalMillis() + b.totalMillis()));
        }
      } catch (SQLException notLoaded) {
        st.execute("ROLLBACK TO SAVEPOINT statements");
      }
      connection.commit();
    } finally {
      connection.setAutoCommit(autoCommit);
    }
    return totals;
  }
}
