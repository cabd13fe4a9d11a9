package dev.databaseunit.operator.maintenance;

import java.util.EnumSet;
import java.util.Set;

/**
 * The phases of one maintenance run, written to status before the step they name starts, so a crash leaves evidence
 * of how far the run got:
 * Pending → Prechecks → Draining → Running (task by task) → Resuming → PostChecks → Succeeded, with RollingBack
 * between Running and Resuming when a task fails, and Failed as the end of any run that did not succeed.
 */
public enum RunPhase {
  Pending, Prechecks, Draining, Running, RollingBack, Resuming, PostChecks, Succeeded, Failed;

  /** The phases a run may move to from this one. */
  public Set<RunPhase> next() {
    return switch (this) {
      case Pending -> EnumSet.of(Prechecks, Failed);
      case Prechecks -> EnumSet.of(Draining, Failed);
      // A drain that times out in abort mode resumes without running anything.
      case Draining -> EnumSet.of(Running, Resuming);
      // Running → Running is the step from one task to the next.
      case Running -> EnumSet.of(Running, RollingBack, Resuming);
      case RollingBack -> EnumSet.of(Resuming);
      // Resuming repeats until PgBouncer confirms; a run never ends while the database may still be paused.
      case Resuming -> EnumSet.of(Resuming, PostChecks);
      case PostChecks -> EnumSet.of(Succeeded, Failed);
      case Succeeded, Failed -> EnumSet.noneOf(RunPhase.class);
    };
  }

  public boolean canMoveTo(RunPhase target) {
    return next().contains(target);
  }

  /** Phase of a status string, Pending for anything unknown (an older operator's phase name). */
  public static RunPhase of(String name) {
    if (name == null) {
      return Pending;
    }
    for (RunPhase p : values()) {
      if (p.name().equals(name)) {
        return p;
      }
    }
    return Pending;
  }
}
