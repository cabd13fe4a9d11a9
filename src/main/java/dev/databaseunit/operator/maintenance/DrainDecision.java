package dev.databaseunit.operator.maintenance;

import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowSpec.DrainTimeoutAction;
import java.time.Duration;

/** One look at a draining database: keep waiting, drained, or the timeout's action. */
public enum DrainDecision {
  WAIT, DRAINED, FORCE_CLOSE, ABORT;

  /**
   * @param pauseAcknowledged PgBouncer answered PAUSE, which it does only once every server connection of the
   *     database is released; polled server counts are only for the report, this is the proof of a drain
   */
  public static DrainDecision decide(Duration elapsed, Duration timeout, boolean pauseAcknowledged, DrainTimeoutAction onTimeout) {
    if (pauseAcknowledged) {
      return DRAINED;
    }
    if (elapsed.compareTo(timeout) < 0) {
      return WAIT;
    }
    return onTimeout == DrainTimeoutAction.ABORT ? ABORT : FORCE_CLOSE;
  }
}
