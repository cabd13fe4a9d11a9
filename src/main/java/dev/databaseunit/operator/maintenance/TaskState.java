package dev.databaseunit.operator.maintenance;

import java.util.EnumSet;
import java.util.Set;

/**
 * The state of one task of a run, as written to {@code status.*.tasks[].state}: Pending → Running → Succeeded or
 * Failed; a task that never starts (or declines to) is Skipped; a completed task that a rollback undid is RolledBack.
 */
public enum TaskState {
  Pending, Running, Succeeded, Failed, RolledBack, Skipped;

  /** The states a task may move to from this one. */
  public Set<TaskState> next() {
    return switch (this) {
      case Pending -> EnumSet.of(Running, Skipped);
      // Running → Skipped: the task declined to run (see TaskSkipped); Running → Failed also after an operator restart.
      case Running -> EnumSet.of(Succeeded, Failed, Skipped);
      case Succeeded -> EnumSet.of(RolledBack);
      // The failed task's own rollback keeps it Failed and adds what the rollback did.
      case Failed -> EnumSet.of(Failed);
      case RolledBack, Skipped -> EnumSet.noneOf(TaskState.class);
    };
  }

  public boolean canMoveTo(TaskState target) {
    return next().contains(target);
  }

  /** The state of a status string; null for anything unknown. */
  public static TaskState of(String name) {
    for (TaskState s : values()) {
      if (s.name().equals(name)) {
        return s;
      }
    }
    return null;
  }
}
