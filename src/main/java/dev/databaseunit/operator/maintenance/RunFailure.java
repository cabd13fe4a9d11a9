package dev.databaseunit.operator.maintenance;

import dev.databaseunit.operator.events.EventReason;

/** Why a run (or a window) cannot go on, with the reason for its Degraded condition and Event. */
final class RunFailure extends Exception {
  private final EventReason reason;

  RunFailure(EventReason reason, String message) {
    super(message);
    this.reason = reason;
  }

  RunFailure(EventReason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  EventReason reason() {
    return reason;
  }
}
