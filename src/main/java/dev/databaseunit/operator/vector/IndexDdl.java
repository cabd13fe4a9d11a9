package dev.databaseunit.operator.vector;

import dev.databaseunit.operator.postgres.SqlIdentifier;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;

/**
 * The statements that change vector indexes. Names are quoted with {@link SqlIdentifier} (which refuses
 * anything but plain identifiers) and numbers come from validated integers, so nothing of the spec reaches
 * SQL unquoted. CONCURRENTLY statements need a connection in autocommit mode.
 */
public final class IndexDdl {
  private static final Set<String> OPCLASSES = Set.of("vector_cosine_ops", "vector_l2_ops", "vector_ip_ops");
  /** A swap waits this long at most for its locks, so it never queues the application behind it for long. */
  private static final String SWAP_LOCK_TIMEOUT = "5s";

  private IndexDdl() {}

  public static void createConcurrently(Connection connection, VectorTable table, String indexName, HnswParameters parameters)
      throws SQLException {
    if (!OPCLASSES.contains(parameters.opclass())) {
      throw new IllegalArgumentException("not a pgvector operator class: " + parameters.opclass());
    }
    execute(connection, "CREATE INDEX CONCURRENTLY " + SqlIdentifier.quote(indexName) + " ON " + table.quoted()
        + " USING hnsw (" + SqlIdentifier.quote(parameters.column()) + " " + parameters.opclass() + ")"
        + " WITH (m = " + parameters.m() + ", ef_construction = " + parameters.efConstruction() + ")");
  }

  static void dropConcurrently(Connection connection, VectorTable table, String indexName) throws SQLException {
    execute(connection, "DROP INDEX CONCURRENTLY IF EXISTS " + table.quotedIndex(indexName));
  }

  /**
   * Puts the replacement in place of the index in one short transaction: the current index (if any) becomes
   * the retired one and the replacement takes the name, so readers always find a valid index.
   */
  static void swap(Connection connection, VectorTable table, String indexName, boolean currentExists) throws SQLException {
    connection.setAutoCommit(false);
    try (Statement s = connection.createStatement()) {
      s.execute("SET LOCAL lock_timeout = '" + SWAP_LOCK_TIMEOUT + "'");
      if (currentExists) {
        s.execute("ALTER INDEX " + table.quotedIndex(indexName) + " RENAME TO " + SqlIdentifier.quote(IndexPlan.retiredName(indexName)));
      }
      s.execute("ALTER INDEX " + table.quotedIndex(IndexPlan.replacementName(indexName)) + " RENAME TO " + SqlIdentifier.quote(indexName));
      connection.commit();
    } catch (SQLException e) {
      connection.rollback();
      throw e;
    } finally {
      connection.setAutoCommit(true);
    }
  }

  static void analyze(Connection connection, VectorTable table) throws SQLException {
    execute(connection, "ANALYZE " + table.quoted());
  }

  private static void execute(Connection connection, String sql) throws SQLException {
    try (Statement s = connection.createStatement()) {
      s.execute(sql);
    }
  }
}
