package dev.databaseunit.operator.vector;

import dev.databaseunit.operator.common.Jobs;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * Long vector-index work (concurrent builds, swaps, drops, recall probes) as {@link Jobs}: one job per index at a
 * time and one at a time per unit (the unit is the lane), so the reconcile thread only starts it and looks at its
 * progress. What this adds to a job: the connection it runs on and that connection's server pid.
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
  record Job(String kind, String description, Jobs.Job<Void> job, AtomicInteger backendPid) {
    boolean running() {
      return job.running();
    }

    Optional<Throwable> failure() {
      return job.result().flatMap(r -> switch (r) {
        case Jobs.Result.Failed<Void> f -> Optional.of(f.error());
        case Jobs.Result.Cancelled<Void> c -> Optional.of(new InterruptedException("cancelled"));
        case Jobs.Result.Done<Void> d -> Optional.empty();
      });
    }
  }

  private final Jobs jobs;
  private final Map<String, Job> started = new ConcurrentHashMap<>();

  IndexJobs(Clock clock) {
    // Builds of different units may run side by side; each is one server backend.
    this.jobs = new Jobs("vector", clock, 4);
  }

  static String key(String unitKey, String indexName) {
    return unitKey + "/" + indexName;
  }

  Optional<Job> job(String unitKey, String indexName) {
    return Optional.ofNullable(started.get(key(unitKey, indexName)));
  }

  /** Forgets a finished job once its result was reported. */
  void clear(String unitKey, String indexName) {
    String key = key(unitKey, indexName);
    if (started.computeIfPresent(key, (k, job) -> job.running() ? job : null) == null) {
      jobs.collect(key);
    }
  }

  Job start(String unitKey, String indexName, String kind, String description, DataSource dataSource, Work work) {
    var pid = new AtomicInteger();
    String key = key(unitKey, indexName);
    Jobs.Job<Void> job = jobs.submit(key, unitKey, progress -> {
      try (Connection connection = dataSource.getConnection()) {
        connection.setAutoCommit(true);
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
          rs.next();
          pid.set(rs.getInt(1));
        }
        work.run(connection);
      }
      return null;
    });
    Job described = new Job(kind, description, job, pid);
    started.put(key, described);
    return described;
  }

  /** Cancels a deleted unit's jobs; a statement they run ends with the unit's pool, which is closed too. */
  void unitDeleted(String unitKey) {
    started.keySet().removeIf(k -> k.startsWith(unitKey + "/"));
    jobs.cancelLane(unitKey);
  }

  @Override
  public void close() {
    started.clear();
    jobs.close();
  }
}
