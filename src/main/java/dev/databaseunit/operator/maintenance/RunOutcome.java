package dev.databaseunit.operator.maintenance;

import dev.databaseunit.operator.events.EventReason;

/** How a run ended, as written to {@code status.lastRun.outcome} and the runs_total metric's outcome label. */
public enum RunOutcome {
  /** Every task ran (or declined to run) and the post-checks passed. */
  Succeeded,
  /** No failure, but tasks were left for a later window because this one ends too soon. */
  Incomplete,
  /** A task failed and everything it and its predecessors changed was undone. */
  RolledBack,
  /** Anything else: a failed precheck, drain, post-check, a lost lease, a restart, or a rollback that failed itself. */
  Failed;

  /**
   * @param failure why the run failed, null if it did not
   * @param rollbackFailed the rollback after the failure failed in turn
   * @param leftForLaterWindow some task was skipped because the window ends
   */
  public static RunOutcome of(EventReason failure, boolean rollbackFailed, boolean leftForLaterWindow) {
    if (failure == null) {
      return leftForLaterWindow ? Incomplete : Succeeded;
    }
    return failure == EventReason.MaintenanceTaskFailed && !rollbackFailed ? RolledBack : Failed;
  }

  /** A run that ended like this leaves its window healthy (the Degraded condition is for the others). */
  public boolean healthy() {
    return this == Succeeded || this == Incomplete;
  }

  /** The outcome of a status string; null for anything unknown. */
  public static RunOutcome of(String name) {
    for (RunOutcome o : values()) {
      if (o.name().equals(name)) {
        return o;
      }
    }
    return null;
  }
}
