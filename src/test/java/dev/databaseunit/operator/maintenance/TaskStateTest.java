package dev.databaseunit.operator.maintenance;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TaskStateTest {

  @Test
  void theTransitionTable() {
    for (TaskState from : TaskState.values()) {
      for (TaskState to : TaskState.values()) {
        boolean allowed = switch (from) {
          case Pending -> to == TaskState.Running || to == TaskState.Skipped;
          case Running -> to == TaskState.Succeeded || to == TaskState.Failed || to == TaskState.Skipped;
          case Succeeded -> to == TaskState.RolledBack;
          case Failed -> to == TaskState.Failed;
          case RolledBack, Skipped -> false;
        };
        assertThat(from.canMoveTo(to)).as("%s → %s", from, to).isEqualTo(allowed);
      }
    }
  }

  /** Nothing returns to Pending or Running: a task never runs twice in one run. */
  @Test
  void aTaskRunsAtMostOnce() {
    Set<TaskState> seen = EnumSet.noneOf(TaskState.class);
    var queue = new ArrayDeque<TaskState>();
    queue.add(TaskState.Running);
    while (!queue.isEmpty()) {
      for (TaskState next : queue.poll().next()) {
        if (seen.add(next)) {
          queue.add(next);
        }
      }
    }
    assertThat(seen).doesNotContain(TaskState.Pending, TaskState.Running);
  }

  @Test
  void statusNames() {
    for (TaskState s : TaskState.values()) {
      assertThat(TaskState.of(s.name())).isEqualTo(s);
    }
    assertThat(TaskState.of("Unknown")).isNull();
    assertThat(TaskState.of(null)).isNull();
  }
}
