package dev.databaseunit.operator.maintenance;

import static dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowSpec.Task.OptimizeIndexes;
import static dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowSpec.Task.SchemaUpdate;
import static dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowSpec.Task.UpdateStatistics;
import static dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowSpec.Task.Upgrade;
import static dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowSpec.Task.ValidateIntegrity;
import static org.assertj.core.api.Assertions.assertThat;

import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowSpec.RollbackPolicy;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowSpec.Task;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RunPlanTest {
  private static final Instant NOW = Instant.parse("2026-11-29T02:00:00Z");

  @Test
  void tasksRunInTheCanonicalOrderWhateverTheSpecOrder() {
    assertThat(RunPlan.order(List.of(ValidateIntegrity, UpdateStatistics, SchemaUpdate, OptimizeIndexes)))
        .containsExactly(SchemaUpdate, OptimizeIndexes, UpdateStatistics, ValidateIntegrity);
    var random = new Random(3);
    for (int i = 0; i < 100; i++) {
      List<Task> tasks = new ArrayList<>(List.of(Task.values()));
      Collections.shuffle(tasks, random);
      tasks = tasks.subList(0, 1 + random.nextInt(tasks.size()));
      List<Task> ordered = RunPlan.order(tasks);
      assertThat(ordered).containsExactlyInAnyOrderElementsOf(tasks).isSortedAccordingTo((a, b) -> a.ordinal() - b.ordinal());
    }
  }

  @Test
  void aTaskStartsOnlyIfItsEstimateAndTheResumeReserveFitBeforeTheWindowEnds() {
    Instant end = NOW.plus(Duration.ofMinutes(10));
    assertThat(RunPlan.fits(NOW, end, Duration.ofMinutes(9).plusSeconds(30))).isTrue();
    assertThat(RunPlan.fits(NOW, end, Duration.ofMinutes(9).plusSeconds(31))).isFalse();
    assertThat(RunPlan.fits(end.minusSeconds(30), end, Duration.ZERO)).isTrue();
    assertThat(RunPlan.fits(end.minusSeconds(29), end, Duration.ZERO)).isFalse();
    assertThat(RunPlan.fits(end.plusSeconds(1), end, Duration.ZERO)).isFalse();
  }

  @Test
  void estimatesComeFromTheLastMeasurementWithAMarginElseTheDefault() {
    assertThat(RunPlan.estimate(OptimizeIndexes, Map.of())).isEqualTo(Duration.ofMinutes(2));
    assertThat(RunPlan.estimate(OptimizeIndexes, Map.of(OptimizeIndexes, Duration.ofSeconds(100)))).isEqualTo(Duration.ofSeconds(150));
    assertThat(RunPlan.estimate(SchemaUpdate, Map.of(OptimizeIndexes, Duration.ofSeconds(100)))).isEqualTo(Duration.ofSeconds(30));
    for (Task t : Task.values()) {
      assertThat(RunPlan.estimate(t, Map.of())).isPositive();
    }
  }

  @Test
  void rollbackStartsWithTheFailedTaskThenUndoesCompletedOnesNewestFirst() {
    assertThat(RunPlan.rollback(List.of(SchemaUpdate, OptimizeIndexes, UpdateStatistics), ValidateIntegrity, RollbackPolicy.RollbackAll))
        .containsExactly(ValidateIntegrity, OptimizeIndexes);
    assertThat(RunPlan.rollback(List.of(SchemaUpdate), OptimizeIndexes, RollbackPolicy.RollbackAll))
        .containsExactly(OptimizeIndexes);
    assertThat(RunPlan.rollback(List.of(), SchemaUpdate, RollbackPolicy.RollbackAll)).containsExactly(SchemaUpdate);
    assertThat(RunPlan.rollback(List.of(SchemaUpdate, OptimizeIndexes, UpdateStatistics), ValidateIntegrity,
        RollbackPolicy.RollbackFailedTask)).containsExactly(ValidateIntegrity);
  }

  @Test
  void withoutAFailingTaskOnlyCompletedUndoableTasksAreRolledBack() {
    assertThat(RunPlan.undoCompleted(List.of(SchemaUpdate, OptimizeIndexes, UpdateStatistics), RollbackPolicy.RollbackAll))
        .containsExactly(OptimizeIndexes);
    assertThat(RunPlan.undoCompleted(List.of(SchemaUpdate, OptimizeIndexes), RollbackPolicy.RollbackFailedTask)).isEmpty();
    assertThat(RunPlan.undoCompleted(List.of(), RollbackPolicy.RollbackAll)).isEmpty();
  }

  @Test
  void onlyTasksThatCanBeUndoneAfterSuccessAreRolledBackOnceDone() {
    assertThat(RunPlan.undoOf(SchemaUpdate)).isEqualTo(RunPlan.Undo.ONLY_WHILE_RUNNING);
    assertThat(RunPlan.undoOf(OptimizeIndexes)).isEqualTo(RunPlan.Undo.AFTER_SUCCESS);
    assertThat(RunPlan.undoOf(UpdateStatistics)).isEqualTo(RunPlan.Undo.NOTHING_TO_UNDO);
    assertThat(RunPlan.undoOf(ValidateIntegrity)).isEqualTo(RunPlan.Undo.NOTHING_TO_UNDO);
    assertThat(RunPlan.undoOf(Upgrade)).isEqualTo(RunPlan.Undo.NOTHING_TO_UNDO);
  }

  @Test
  void afterARestartPausedPhasesResumeFirst() {
    for (RunPhase phase : RunPhase.values()) {
      var recovery = RunPlan.recovery(phase);
      assertThat(recovery.resumeFirst()).as("%s resumes first", phase).isEqualTo(RunPhaseTest.MAY_BE_PAUSED.contains(phase));
    }
    assertThat(RunPlan.recovery(RunPhase.Running)).isEqualTo(new RunPlan.Recovery(true, true, true));
    assertThat(RunPlan.recovery(RunPhase.RollingBack)).isEqualTo(new RunPlan.Recovery(true, true, true));
    assertThat(RunPlan.recovery(RunPhase.Draining)).isEqualTo(new RunPlan.Recovery(true, false, true));
    assertThat(RunPlan.recovery(RunPhase.Prechecks)).isEqualTo(new RunPlan.Recovery(false, false, false));
    assertThat(RunPlan.recovery(RunPhase.PostChecks)).isEqualTo(new RunPlan.Recovery(false, false, true));
    assertThat(RunPlan.recovery(RunPhase.Succeeded)).isEqualTo(new RunPlan.Recovery(false, false, false));
  }
}
