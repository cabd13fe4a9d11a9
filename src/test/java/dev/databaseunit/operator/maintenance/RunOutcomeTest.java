package dev.databaseunit.operator.maintenance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.databaseunit.operator.events.EventReason;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunOutcomeTest {

  /** Every combination of failure reason, failed rollback and tasks left for later. */
  @Test
  void everyCombination() {
    List<EventReason> failures = new ArrayList<>(Arrays.asList(EventReason.values()));
    failures.add(null);
    for (EventReason failure : failures) {
      for (boolean rollbackFailed : new boolean[] {false, true}) {
        for (boolean leftForLater : new boolean[] {false, true}) {
          RunOutcome expected = failure == null ? (leftForLater ? RunOutcome.Incomplete : RunOutcome.Succeeded)
              : failure == EventReason.MaintenanceTaskFailed && !rollbackFailed ? RunOutcome.RolledBack : RunOutcome.Failed;
          assertThat(RunOutcome.of(failure, rollbackFailed, leftForLater))
              .as("%s, rollback failed %s, left for later %s", failure, rollbackFailed, leftForLater).isEqualTo(expected);
        }
      }
    }
  }

  @Test
  void theNamedCases() {
    assertThat(RunOutcome.of(null, false, false)).isEqualTo(RunOutcome.Succeeded);
    assertThat(RunOutcome.of(null, false, true)).isEqualTo(RunOutcome.Incomplete);
    assertThat(RunOutcome.of(EventReason.MaintenanceTaskFailed, false, false)).isEqualTo(RunOutcome.RolledBack);
    assertThat(RunOutcome.of(EventReason.MaintenanceTaskFailed, true, false)).isEqualTo(RunOutcome.Failed);
    assertThat(RunOutcome.of(EventReason.MaintenancePrecheckFailed, false, false)).isEqualTo(RunOutcome.Failed);
    assertThat(RunOutcome.of(EventReason.MaintenanceDrainTimedOut, false, true)).isEqualTo(RunOutcome.Failed);
  }

  @Test
  void healthyOutcomesAndNames() {
    assertThat(Arrays.stream(RunOutcome.values()).filter(RunOutcome::healthy))
        .containsExactly(RunOutcome.Succeeded, RunOutcome.Incomplete);
    for (RunOutcome o : RunOutcome.values()) {
      assertThat(RunOutcome.of(o.name())).isEqualTo(o);
    }
    assertThat(RunOutcome.of("Exploded")).isNull();
    assertThat(RunOutcome.of((String) null)).isNull();
  }

  @Test
  void rollbackErrorsAreTyped() {
    var failure = new RunFailure(EventReason.MaintenanceTaskFailed, "task SchemaUpdate failed: boom");
    assertThat(failure.withRollbackErrors(List.of())).isSameAs(failure);
    var worse = failure.withRollbackErrors(List.of("OptimizeIndexes: no"));
    assertThat(worse.rollbackFailed()).isTrue();
    assertThat(worse.reason()).isEqualTo(EventReason.MaintenanceTaskFailed);
    assertThat(worse.getMessage()).isEqualTo("task SchemaUpdate failed: boom; rollback failed: OptimizeIndexes: no");
    // A message that merely mentions a failed rollback does not make one.
    assertThat(new RunFailure(EventReason.MaintenanceTaskFailed, "rollback failed: in the task's own text").rollbackFailed()).isFalse();
  }
}
