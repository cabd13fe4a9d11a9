package dev.databaseunit.operator.vector;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * Long vector-index work (concurrent builds, swaps, drops, recall probes) runs here, on one thread per unit, so
 * the reconcile thread only starts it and looks at its progress. One job per index at a time.
 */
final class IndexJobs implements AutoCloseable {

  /** Work on one autocommit connection of the unit's pool. */
  interface Work {
    void run(Connection connection) throws SQLException;
  }

  /**
   * A job that was started.
   *
   * @param kind what it does, shown in status while it runs (a {@link VectorIndexState} value, or null for a
   *     probe that does not change the index)
   * @param backendPid the server process running it, for {@code pg_stat_progress_create_index}; 0 until known
   */
  record Job(String kind, String description, CompletableFuture<Void> done, AtomicInteger backendPid) {
    boolean running() {
      return !done.isDone();
    }

    Optional<Throwable> failure() {
      if (!done.isCompletedExceptionally()) {
        return Optional.empty();
      }
      return Optional.of(done.handle((ok, failure) -> failure.getCause() != null ? failure.getCause() : failure).join());
    }
  }

  private final Map<String, ExecutorService> executors = new ConcurrentHashMap<>();
  private final Map<String, Job> jobs = new ConcurrentHashMap<>();

  static String key(String unitKey, String indexName) {
    return unitKey + "/" + indexName;
  }

  Optional<Job> job(String unitKey, String indexName) {
    return Optional.ofNullable(jobs.get(key(unitKey, indexName)));
  }

  /** Forgets a finished job once its result was reported. */
  void clear(String unitKey, String indexName) {
    jobs.computeIfPresent(key(unitKey, indexName), (k, job) -> job.running() ? job : null);
  }

  Job start(String unitKey, String indexName, String kind, String description, DataSource dataSource, Work work) {
    var pid = new AtomicInteger();
    var executor = executors.computeIfAbsent(unitKey, k -> Executors.newSingleThreadExecutor(runnable -> {
      var thread = new Thread(runnable, "vector-" + k.replace('/', '-'));
      thread.setDaemon(true);
      return thread;
    }));
    var job = new Job(kind, description, CompletableFuture.runAsync(() -> {
      try (Connection connection = dataSource.getConnection()) {
        connection.setAutoCommit(true);
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
          rs.next();
          pid.set(rs.getInt(1));
        }
        work.run(connection);
      } catch (SQLException e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    }, executor), pid);
    jobs.put(key(unitKey, indexName), job);
    return job;
  }

  /** Stops a deleted unit's thread; a statement it runs ends with the unit's pool, which is closed too. */
  void unitDeleted(String unitKey) {
    jobs.keySet().removeIf(k -> k.startsWith(unitKey + "/"));
    ExecutorService executor = executors.remove(unitKey);
    if (executor != null) {
      executor.shutdownNow();
    }
  }

  @Override
  public void close() {
    executors.keySet().forEach(this::unitDeleted);
  }
}
