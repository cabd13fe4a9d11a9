package dev.databaseunit.operator.maintenance;

import dev.databaseunit.operator.events.EventReason;
import java.util.List;

/** Why a run (or a window) cannot go on, with the reason for its Degraded condition and Event. */
final class RunFailure extends Exception {
  private final EventReason reason;
  private final boolean rollbackFailed;

  RunFailure(EventReason reason, String message) {
    this(reason, message, null, false);
  }

  RunFailure(EventReason reason, String message, Throwable cause) {
    this(reason, message, cause, false);
  }

  private RunFailure(EventReason reason, String message, Throwable cause, boolean rollbackFailed) {
    super(message, cause);
    this.reason = reason;
    this.rollbackFailed = rollbackFailed;
  }

  /** This failure, and the errors of the rollback that followed it (none: the same failure). */
  RunFailure withRollbackErrors(List<String> errors) {
    return errors.isEmpty() ? this
        : new RunFailure(reason, getMessage() + "; rollback failed: " + String.join("; ", errors), getCause(), true);
  }

  EventReason reason() {
    return reason;
  }

  boolean rollbackFailed() {
    return rollbackFailed;
  }
}
