package dev.databaseunit.operator.common;

import dev.databaseunit.operator.events.EventReason;

/**
 * Something about a unit the operator cannot fix by itself: it becomes the reason and message of the unit's
 * Degraded condition and a Warning Event. Messages are written for the person reading {@code kubectl describe}
 * and never contain a password.
 */
public final class UnitProblem extends Exception {
  private final EventReason reason;

  public UnitProblem(EventReason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public UnitProblem(EventReason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public EventReason reason() {
    return reason;
  }
}
