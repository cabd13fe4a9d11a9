package dev.databaseunit.operator.maintenance;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RunPhaseTest {
  /** PgBouncer may hold the database paused in these phases: PAUSE may have been sent and not yet undone. */
  static final Set<RunPhase> MAY_BE_PAUSED = EnumSet.of(RunPhase.Draining, RunPhase.Running, RunPhase.RollingBack, RunPhase.Resuming);
  static final Set<RunPhase> ENDS = EnumSet.of(RunPhase.Succeeded, RunPhase.Failed);

  @Test
  void theHappyPathIsAllowedStepByStep() {
    RunPhase[] path = {RunPhase.Pending, RunPhase.Prechecks, RunPhase.Draining, RunPhase.Running, RunPhase.Running,
        RunPhase.Resuming, RunPhase.PostChecks, RunPhase.Succeeded};
    for (int i = 1; i < path.length; i++) {
      assertThat(path[i - 1].canMoveTo(path[i])).as("%s -> %s", path[i - 1], path[i]).isTrue();
    }
  }

  @Test
  void aFailedTaskGoesThroughRollbackAndResumeNeverStraightToTheEnd() {
    assertThat(RunPhase.Running.canMoveTo(RunPhase.RollingBack)).isTrue();
    assertThat(RunPhase.RollingBack.next()).containsExactly(RunPhase.Resuming);
    assertThat(RunPhase.Running.canMoveTo(RunPhase.Failed)).isFalse();
    assertThat(RunPhase.Running.canMoveTo(RunPhase.Succeeded)).isFalse();
    assertThat(RunPhase.Draining.canMoveTo(RunPhase.Failed)).isFalse();
  }

  /** From every phase in which PgBouncer may be paused, every path to an end passes through Resuming. */
  @Test
  void noPathFromAPausedPhaseEndsWithoutResuming() {
    for (RunPhase start : RunPhase.values()) {
      if (!MAY_BE_PAUSED.contains(start) || start == RunPhase.Resuming) {
        continue;
      }
      // Reachability without visiting Resuming: no terminal phase may be reached.
      Set<RunPhase> seen = EnumSet.of(start);
      var queue = new ArrayDeque<RunPhase>();
      queue.add(start);
      while (!queue.isEmpty()) {
        for (RunPhase next : queue.poll().next()) {
          if (next != RunPhase.Resuming && seen.add(next)) {
            queue.add(next);
          }
        }
      }
      assertThat(seen).as("reachable from %s without resuming", start).noneMatch(ENDS::contains);
    }
  }

  @Test
  void everyPhaseReachesAnEnd() {
    for (RunPhase start : RunPhase.values()) {
      Set<RunPhase> seen = EnumSet.of(start);
      var queue = new ArrayDeque<RunPhase>();
      queue.add(start);
      while (!queue.isEmpty()) {
        for (RunPhase next : queue.poll().next()) {
          if (seen.add(next)) {
            queue.add(next);
          }
        }
      }
      assertThat(seen).as("from %s", start).anyMatch(ENDS::contains);
    }
  }

  @Test
  void pausedPhasesAndEnds() {
    assertThat(EnumSet.allOf(RunPhase.class).stream().filter(p -> p.next().isEmpty())).containsExactlyElementsOf(ENDS);
  }

  @Test
  void unknownOrMissingNamesArePending() {
    assertThat(RunPhase.of("Draining")).isEqualTo(RunPhase.Draining);
    assertThat(RunPhase.of(null)).isEqualTo(RunPhase.Pending);
    assertThat(RunPhase.of("Prechecking")).isEqualTo(RunPhase.Pending);
  }
}
