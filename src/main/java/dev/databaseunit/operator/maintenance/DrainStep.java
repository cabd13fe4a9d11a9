package dev.databaseunit.operator.maintenance;

import dev.databaseunit.operator.api.v1alpha1.ApiDurations;
import dev.databaseunit.operator.common.Backoff;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.events.EventRecorder;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PAUSE and RESUME of the unit's pooler around the tasks. The caller stores phase Draining before {@link #drain} sends
 * PAUSE, and calls {@link #resume} in a finally path whenever it did; a RESUME that does not go through leaves the run
 * in phase Resuming, which the reconciler's recovery retries (also after a SIGKILL).
 */
final class DrainStep {
  private static final Logger log = LoggerFactory.getLogger(DrainStep.class);
  /** RESUME is retried every second for ten tries; after that the reconciler's recovery takes over. */
  static final Backoff RESUME = Backoff.fixed(Duration.ofSeconds(1), 10);

  private final MaintenanceRun.Services services;
  private final RunRecord record;
  /** The PAUSE this run sent, given up once RESUME went through; null before a drain and in a recovery. */
  private DrainPoint.PendingPause pause;

  DrainStep(MaintenanceRun.Services services, RunRecord record) {
    this.services = services;
    this.record = record;
  }

  /** Pauses the pooler and waits for in-flight transactions as the window says; throws when the drain aborts the run. */
  void drain(UnitAccess access) throws RunFailure, IOException, SQLException, InterruptedException {
    var spec = record.spec();
    var drained = new Drainer(access.drainPoint()).drain(access.target().database(), access.direct(),
        ApiDurations.parse(spec.drainTimeout()), spec.onDrainTimeout());
    pause = drained.pause();
    record.set(record.run().withDrain(drained.seconds(), drained.forceClosed()));
    services.metrics().drained(record.namespace(), record.run().unit(), drained.seconds(), drained.forceClosed());
    switch (drained.outcome()) {
      case DRAINED -> record.event(EventRecorder.Type.Normal, EventReason.MaintenanceDrained,
          "PgBouncer paused " + access.target().database() + "; in-flight transactions finished in " + drained.seconds() + " s ("
              + drained.mostClientsQueued() + " clients queued at most)");
      case FORCE_CLOSED -> record.event(EventRecorder.Type.Warning, EventReason.MaintenanceConnectionsKilled,
          "Drain timed out after " + spec.drainTimeout() + ": terminated " + drained.forceClosed() + " backends still in a transaction");
      case ABORTED -> {
        String why = "transactions were still running after the drain timeout of " + spec.drainTimeout()
            + " (onDrainTimeout: abort): no task was run";
        record.event(EventRecorder.Type.Warning, EventReason.MaintenanceDrainTimedOut, why + "; resuming");
        throw new RunFailure(EventReason.MaintenanceDrainTimedOut, why);
      }
    }
  }

  /**
   * Sends RESUME until PgBouncer confirms. Gives up after {@link #RESUME}'s tries (returns false) and leaves the run in
   * status in phase Resuming, which the reconciler's recovery retries.
   */
  boolean resume(UnitAccess access) {
    try {
      record.moveTo(RunPhase.Resuming);
    } catch (RuntimeException e) {
      log.warn("Could not record phase Resuming of run {}: {}", record.run().id(), e.toString());
      record.assume(RunPhase.Resuming);
    }
    if (access == null) {
      return false;
    }
    for (int attempt = 1; ; attempt++) {
      try {
        access.drainPoint().resume(access.target().database());
        if (pause != null) {
          pause.abandon();
        }
        record.event(EventRecorder.Type.Normal, EventReason.MaintenanceResumed, "PgBouncer resumed " + access.target().database());
        return true;
      } catch (Exception e) {
        log.warn("RESUME {} failed (attempt {} of {}): {}", access.target().database(), attempt, RESUME.attempts(), e.getMessage());
        if (!RESUME.mayRetry(attempt)) {
          return false;
        }
        try {
          Thread.sleep(RESUME.delay(attempt));
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
    }
  }
}
