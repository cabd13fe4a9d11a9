package dev.databaseunit.operator.pool;

import java.time.Instant;

/**
 * One look at a unit's pool on the admin console, summed over its (database, user) pools.
 *
 * @param poolSize the pool size in force when the sample was taken
 * @param serversActive sv_active: server connections running a transaction for a client
 * @param serversIdle sv_idle: open and unused
 * @param serversUsed sv_used: idle but not yet checked (server_check_delay)
 * @param clientsActive cl_active: clients linked to a server or idle
 * @param clientsWaiting cl_waiting: clients queued for a server connection
 * @param maxWaitSeconds the longest current queue wait
 * @param averageWaitMillis average wait per transaction since the previous sample (SHOW STATS deltas)
 */
public record PoolSample(Instant at, int poolSize, int serversActive, int serversIdle, int serversUsed,
    int clientsActive, int clientsWaiting, double maxWaitSeconds, double averageWaitMillis) {

  /** Demand over size: waiting clients count as demand, so this exceeds 1 while clients queue. */
  public double utilisation() {
    return poolSize <= 0 ? 0 : (serversActive + clientsWaiting) / (double) poolSize;
  }
}
