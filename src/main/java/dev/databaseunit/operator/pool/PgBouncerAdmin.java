package dev.databaseunit.operator.pool;

import java.util.List;
import java.util.Map;

/**
 * PgBouncer's admin console (the virtual database {@code pgbouncer}): what the pool loop reads and the commands
 * it and the maintenance window send. Implementations throw {@link PgBouncerAdminException} when the console
 * cannot be reached, refuses the login or rejects a command.
 */
public interface PgBouncerAdmin extends AutoCloseable {

  /** One row of SHOW POOLS: a pool is a (database, user) pair. maxwait is in seconds, with microseconds. */
  record PoolRow(String database, String user, int clientsActive, int clientsWaiting, int serversActive,
      int serversIdle, int serversUsed, double maxWaitSeconds, String poolMode) {

    /** The database's pools summed over its users (user null; the longest wait; the first pool's mode). */
    public static PoolRow sum(String database, List<PoolRow> rows) {
      int clientsActive = 0, clientsWaiting = 0, serversActive = 0, serversIdle = 0, serversUsed = 0;
      double maxWait = 0;
      String mode = null;
      for (PoolRow row : rows) {
        if (database.equals(row.database())) {
          clientsActive += row.clientsActive();
          clientsWaiting += row.clientsWaiting();
          serversActive += row.serversActive();
          serversIdle += row.serversIdle();
          serversUsed += row.serversUsed();
          maxWait = Math.max(maxWait, row.maxWaitSeconds());
          mode = mode != null ? mode : row.poolMode();
        }
      }
      return new PoolRow(database, null, clientsActive, clientsWaiting, serversActive, serversIdle, serversUsed, maxWait, mode);
    }
  }

  /** One row of SHOW STATS: cumulative totals since PgBouncer started (times in microseconds). */
  record StatsRow(String database, long totalTransactions, long totalQueries, long totalTransactionMicros,
      long totalWaitMicros) {}

  /** One row of SHOW DATABASES: poolSize is the effective size of the database's pools. */
  record DatabaseRow(String name, String host, int port, String database, int poolSize, String poolMode,
      int currentConnections, boolean paused, boolean disabled) {}

  List<PoolRow> showPools();

  List<StatsRow> showStats();

  List<DatabaseRow> showDatabases();

  /** SHOW CONFIG as key → current value. */
  Map<String, String> showConfig();

  /** SET key = 'value' on the running PgBouncer (only settings it marks changeable). */
  void set(String key, String value);

  /**
   * Sends PAUSE: once the database's running transactions finish, PgBouncer holds new ones until {@link #resume}. Returns
   * when the command is on the wire; its answer, which comes only once the database is drained, is read by
   * {@link Pause#await}, and nothing else may use this console before.
   */
  Pause pause(String database);

  /** A PAUSE sent and not yet answered. */
  @FunctionalInterface
  interface Pause {
    /** Waits for PgBouncer's answer: the database is drained. */
    void await();
  }

  void resume(String database);

  /** Any admin command, as rows of column → text value (null for SQL NULL). */
  List<Map<String, String>> query(String command);

  @Override
  void close();
}
