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
    inOneShortTransaction(connection, s -> {
      if (currentExists) {
        s.execute("ALTER INDEX " + table.quotedIndex(indexName) + " RENAME TO " + SqlIdentifier.quote(IndexPlan.retiredName(indexName)));
      }
      s.execute("ALTER INDEX " + table.quotedIndex(IndexPlan.replacementName(indexName)) + " RENAME TO " + SqlIdentifier.quote(indexName));
    });
  }

  /**
   * The statements of one {@link IndexPlan} step for the index {@code name} (none for NOTHING and AWAIT_WINDOW).
   * The capability runs them as background jobs, a maintenance window's OptimizeIndexes task one after another.
   */
  static void apply(IndexPlan.Step step, Connection connection, VectorTable table, String name, HnswParameters desired,
      boolean currentExists) throws SQLException {
    switch (step) {
      case NOTHING, AWAIT_WINDOW -> { }
      case CREATE -> createConcurrently(connection, table, name, desired);
      case REPLACE_INVALID -> {
        dropConcurrently(connection, table, name);
        createConcurrently(connection, table, name, desired);
      }
      case BUILD_REPLACEMENT -> createConcurrently(connection, table, IndexPlan.replacementName(name), desired);
      case DROP_REPLACEMENT -> dropConcurrently(connection, table, IndexPlan.replacementName(name));
      case SWAP -> {
        swap(connection, table, name, currentExists);
        dropConcurrently(connection, table, IndexPlan.retiredName(name));
      }
      case DROP_RETIRED -> dropConcurrently(connection, table, IndexPlan.retiredName(name));
    }
  }

  /**
   * Undoes a swap whose replaced index is still there: the retired index takes the name back and the index that
   * had replaced it is dropped. Without a retired index there is nothing to swap back; only an unfinished
   * replacement is dropped.
   */
  static void swapBack(Connection connection, VectorTable table, String indexName, boolean currentExists, boolean retiredExists)
      throws SQLException {
    if (retiredExists) {
      inOneShortTransaction(connection, s -> {
        s.execute("DROP INDEX IF EXISTS " + table.quotedIndex(IndexPlan.replacementName(indexName)));
        if (currentExists) {
          s.execute("ALTER INDEX " + table.quotedIndex(indexName) + " RENAME TO " + SqlIdentifier.quote(IndexPlan.replacementName(indexName)));
        }
        s.execute("ALTER INDEX " + table.quotedIndex(IndexPlan.retiredName(indexName)) + " RENAME TO " + SqlIdentifier.quote(indexName));
      });
    }
    dropConcurrently(connection, table, IndexPlan.replacementName(indexName));
  }

  static void analyze(Connection connection, VectorTable table) throws SQLException {
    execute(connection, "ANALYZE " + table.quoted());
  }

  private interface Statements {
    void run(Statement statement) throws SQLException;
  }

  /** Renames in one transaction that waits at most {@link #SWAP_LOCK_TIMEOUT} for its locks. */
  private static void inOneShortTransaction(Connection connection, Statements statements) throws SQLException {
    connection.setAutoCommit(false);
    try (Statement s = connection.createStatement()) {
      s.execute("SET LOCAL lock_timeout = '" + SWAP_LOCK_TIMEOUT + "'");
      statements.run(s);
      connection.commit();
    } catch (SQLException e) {
      connection.rollback();
      throw e;
    } finally {
      connection.setAutoCommit(true);
    }
  }

  private static void execute(Connection connection, String sql) throws SQLException {
    try (Statement s = connection.createStatement()) {
      s.execute(sql);
    }
  }
}
