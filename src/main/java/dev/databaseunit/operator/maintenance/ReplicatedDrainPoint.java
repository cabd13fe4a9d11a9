package dev.databaseunit.operator.maintenance;

import dev.databaseunit.operator.pool.AdminEndpoint;
import dev.databaseunit.operator.pool.PoolerPods;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The drain point of a PgBouncer that runs as several pods behind one Service. Each pod queues its own clients, so a
 * drain holds only when every pod holds: PAUSE goes to every pod that may hold clients, and counts as answered once
 * every pod answered. RESUME goes to every pod listed at that moment (terminating ones too) and to every pod this
 * drain paused, so a pod that left the Service in between is not forgotten while it still runs.
 *
 * <p>Pods are listed afresh for each command from the Service's EndpointSlices, so a recovery after an operator
 * restart (which has no memory of the pods it paused) reaches every pod Kubernetes still knows.
 */
final class ReplicatedDrainPoint implements DrainPoint {
  private static final Logger log = LoggerFactory.getLogger(ReplicatedDrainPoint.class);

  /** The pooler's pods, each as its own admin console. */
  @FunctionalInterface
  interface Consoles {
    List<AdminEndpoint> list(PoolerPods.Which which) throws IOException;
  }

  private final Consoles consoles;
  private final DrainPoints drainPoints;
  /** Every pod a PAUSE was sent to by this drain point: RESUME must reach them. */
  private final Set<AdminEndpoint> paused = new LinkedHashSet<>();

  ReplicatedDrainPoint(Consoles consoles, DrainPoints drainPoints) {
    this.consoles = consoles;
    this.drainPoints = drainPoints;
  }

  /**
   * PAUSE on every pod that is not terminating. When one pod cannot be paused the pauses already sent are abandoned
   * and the error is thrown: the caller RESUMEs (its finally path), and no task runs behind a half-paused pooler.
   */
  @Override
  public synchronized PendingPause pause(String database, Duration answerWithin) throws IOException {
    List<AdminEndpoint> pods = consoles.list(PoolerPods.Which.NOT_TERMINATING);
    if (pods.isEmpty()) {
      throw new IOException("no PgBouncer pod is listed in the pooler Service's EndpointSlices: nothing to drain through");
    }
    List<PendingPause> pending = new ArrayList<>();
    for (AdminEndpoint pod : pods) {
      paused.add(pod);
      try {
        pending.add(drainPoints.forConsole(pod).pause(database, answerWithin));
      } catch (IOException e) {
        pending.forEach(PendingPause::abandon);
        throw new IOException("PAUSE on PgBouncer " + where(pod) + ": " + e.getMessage(), e);
      }
    }
    return new PendingPause() {
      @Override
      public boolean acknowledged() {
        return pending.stream().allMatch(PendingPause::acknowledged);
      }

      @Override
      public void abandon() {
        pending.forEach(PendingPause::abandon);
      }
    };
  }

  /**
   * RESUME on every pod listed now and every pod paused before. A paused pod that is no longer listed and cannot be
   * reached is gone with its clients, so it does not fail the RESUME; any other failure does, after every pod was tried.
   */
  @Override
  public synchronized void resume(String database) throws IOException {
    List<AdminEndpoint> listed = consoles.list(PoolerPods.Which.ALL);
    Set<AdminEndpoint> targets = new LinkedHashSet<>(listed);
    targets.addAll(paused);
    List<String> failures = new ArrayList<>();
    for (AdminEndpoint pod : targets) {
      try {
        drainPoints.forConsole(pod).resume(database);
        paused.remove(pod);
      } catch (IOException e) {
        if (listed.contains(pod)) {
          failures.add(where(pod) + ": " + e.getMessage());
        } else {
          log.info("PgBouncer {} was paused, has left the Service and cannot be reached ({}): counted as gone", where(pod), e.getMessage());
          paused.remove(pod);
        }
      }
    }
    if (!failures.isEmpty()) {
      throw new IOException("RESUME failed on " + failures.size() + " of " + targets.size() + " PgBouncer pods: " + String.join("; ", failures));
    }
  }

  /** Whether any listed pod reports the database as paused. */
  @Override
  public boolean isPaused(String database) throws IOException {
    for (AdminEndpoint pod : consoles.list(PoolerPods.Which.ALL)) {
      if (drainPoints.forConsole(pod).isPaused(database)) {
        return true;
      }
    }
    return false;
  }

  /** SHOW POOLS summed over the pods this drain paused (polled while it waits), else over those not terminating. */
  @Override
  public PoolCounts pool(String database) throws IOException {
    int active = 0;
    int waiting = 0;
    int servers = 0;
    List<AdminEndpoint> pods;
    synchronized (this) {
      pods = paused.isEmpty() ? null : List.copyOf(paused);
    }
    for (AdminEndpoint pod : pods != null ? pods : consoles.list(PoolerPods.Which.NOT_TERMINATING)) {
      PoolCounts counts = drainPoints.forConsole(pod).pool(database);
      active += counts.clientsActive();
      waiting += counts.clientsWaiting();
      servers += counts.serversActive();
    }
    return new PoolCounts(active, waiting, servers);
  }

  private static String where(AdminEndpoint pod) {
    return (pod.address() != null ? pod.address() : pod.host()) + ":" + pod.port();
  }
}
