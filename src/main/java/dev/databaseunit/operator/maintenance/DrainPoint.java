package dev.databaseunit.operator.maintenance;

import java.io.IOException;
import java.time.Duration;

/**
 * The pooler a unit's clients go through, seen as the place to hold traffic during maintenance. PAUSE makes new
 * queries queue inside PgBouncer while transactions in flight finish; PgBouncer answers PAUSE only once every server
 * connection of the database is released.
 */
public interface DrainPoint {

  /**
   * Sends PAUSE for the database on its own console connection and returns at once.
   *
   * @param answerWithin how long the answer may take (the drain timeout plus a margin)
   */
  PendingPause pause(String database, Duration answerWithin) throws IOException;

  /** RESUME; a database that is not paused (or not known to PgBouncer) counts as resumed. */
  void resume(String database) throws IOException;

  /** Whether PgBouncer reports the database as paused (SHOW DATABASES). */
  boolean isPaused(String database) throws IOException;

  /** SHOW POOLS for the database, summed over its users. */
  PoolCounts pool(String database) throws IOException;

  /** A PAUSE that was sent and may not have been answered yet. */
  interface PendingPause {
    /** PgBouncer answered PAUSE: no server connection of the database is in use any more. */
    boolean acknowledged();

    /** Stops waiting for the answer (after RESUME, or when the pause is abandoned). */
    void abandon();
  }

  /**
   * @param clientsActive clients linked to a server connection (cl_active)
   * @param clientsWaiting clients whose queries are queued (cl_waiting)
   * @param serversActive server connections inside a transaction (sv_active)
   */
  record PoolCounts(int clientsActive, int clientsWaiting, int serversActive) {}
}
