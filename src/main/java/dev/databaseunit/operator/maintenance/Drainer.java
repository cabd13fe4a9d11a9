package dev.databaseunit.operator.maintenance;

import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowSpec.DrainTimeoutAction;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drains a unit's database through its PgBouncer: PAUSE, then wait up to the drain timeout for PgBouncer to answer
 * (it does once every in-flight transaction has finished), then force-close what is left or abort.
 *
 * <p>Force-closing terminates, on the database, only the backends still inside a transaction. PgBouncer's own
 * {@code KILL db} is not used: it also drops every client queued behind the PAUSE ("database removed"), turning the
 * latency those clients were promised into errors.
 */
public final class Drainer {
  private static final Logger log = LoggerFactory.getLogger(Drainer.class);
  static final Duration POLL = Duration.ofMillis(200);
  /** After a force-close, PgBouncer notices the closed server connections and answers PAUSE within this. */
  static final Duration ACK_AFTER_FORCE_CLOSE = Duration.ofSeconds(15);
  static final String TERMINATE_BUSY_BACKENDS = """
      SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
        AND xact_start IS NOT NULL AND application_name IS DISTINCT FROM 'databaseunit-operator'""";

  public enum Outcome { DRAINED, FORCE_CLOSED, ABORTED }

  /**
   * @param pause the PAUSE in flight: ABORTED leaves it to the caller to RESUME and abandon it
   * @param seconds from PAUSE until PgBouncer answered (or until the abort)
   * @param mostClientsQueued the most clients seen waiting behind the PAUSE (SHOW POOLS cl_waiting)
   */
  public record Result(Outcome outcome, double seconds, int forceClosed, int mostClientsQueued, DrainPoint.PendingPause pause) {}

  private final DrainPoint drainPoint;

  public Drainer(DrainPoint drainPoint) {
    this.drainPoint = drainPoint;
  }

  /**
   * @param database the database's name inside PgBouncer
   * @param direct a connection pool to the database that does not go through PgBouncer (used to force-close)
   */
  public Result drain(String database, DataSource direct, Duration timeout, DrainTimeoutAction onTimeout)
      throws IOException, SQLException, InterruptedException {
    long started = System.nanoTime();
    DrainPoint.PendingPause pause = drainPoint.pause(database, timeout.plus(ACK_AFTER_FORCE_CLOSE).plusSeconds(30));
    int queued = 0;
    while (true) {
      Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
      switch (DrainDecision.decide(elapsed, timeout, pause.acknowledged(), onTimeout)) {
        case DRAINED -> {
          return new Result(Outcome.DRAINED, seconds(started), 0, queued, pause);
        }
        case ABORT -> {
          return new Result(Outcome.ABORTED, seconds(started), 0, queued, pause);
        }
        case FORCE_CLOSE -> {
          int busy = drainPoint.pool(database).serversActive();
          int closed = terminateBusyBackends(direct);
          log.info("Drain of {} timed out after {} with {} server connections busy: terminated {} backends still in a transaction",
              database, timeout, busy, closed);
          awaitAcknowledgement(pause, database);
          return new Result(Outcome.FORCE_CLOSED, seconds(started), closed, queued, pause);
        }
        case WAIT -> {
          Thread.sleep(POLL.toMillis());
          queued = Math.max(queued, drainPoint.pool(database).clientsWaiting());
        }
      }
    }
  }

  private static void awaitAcknowledgement(DrainPoint.PendingPause pause, String database) throws InterruptedException, IOException {
    long deadline = System.nanoTime() + ACK_AFTER_FORCE_CLOSE.toNanos();
    while (!pause.acknowledged()) {
      if (System.nanoTime() > deadline) {
        throw new IOException("PgBouncer did not complete PAUSE " + database + " within " + ACK_AFTER_FORCE_CLOSE.toSeconds()
            + " s after the busy backends were terminated");
      }
      Thread.sleep(POLL.toMillis());
    }
  }

  static int terminateBusyBackends(DataSource direct) throws SQLException {
    try (Connection c = direct.getConnection(); var s = c.createStatement(); var rs = s.executeQuery(TERMINATE_BUSY_BACKENDS)) {
      rs.next();
      return rs.getInt(1);
    }
  }

  private static double seconds(long startedNanos) {
    return Math.round((System.nanoTime() - startedNanos) / 1e6) / 1000.0;
  }
}
