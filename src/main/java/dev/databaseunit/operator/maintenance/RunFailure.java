package dev.databaseunit.operator.maintenance;

import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.postgres.DatabaseFailures;
import java.sql.SQLException;
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

  /** An error as status and Events show it: its first line, the server's error under it, at most 500 characters, no password. */
  static String describe(Exception e, UnitAccess access) {
    String message = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    // Flyway wraps the SQL error in a long report: keep its first line (the script) and the server's error.
    message = message.strip().lines().findFirst().orElse(message);
    SQLException sql = null;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s) {
        sql = s;
      }
    }
    if (sql != null && sql != e && sql.getMessage() != null) {
      message = message + ": " + sql.getMessage().strip().lines().findFirst().orElse("");
    }
    if (message.length() > 500) {
      message = message.substring(0, 500) + "...";
    }
    return access != null ? DatabaseFailures.redact(message, access.target().password()) : message;
  }
}
