package dev.databaseunit.operator.maintenance;

import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowSpec.RollbackPolicy;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowSpec.Task;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/** Pure decisions of a run: task order, what fits the window, what to roll back, what to do after a restart. */
public final class RunPlan {
  /** Time kept free at the end of a window for RESUME and the post-checks. */
  public static final Duration RESUME_RESERVE = Duration.ofSeconds(30);
  /** Measured durations are stretched by this much before they are trusted as estimates. */
  static final double ESTIMATE_MARGIN = 1.5;

  private RunPlan() {}

  /** What a task's effect allows once it has ended. */
  public enum Undo {
    /** Read-only or harmless to keep (statistics, checks): nothing to roll back. */
    NOTHING_TO_UNDO,
    /** The task undoes itself when it fails (a migration transaction), but what it committed stays. */
    ONLY_WHILE_RUNNING,
    /** The task can be undone after it succeeded (a swapped index swapped back, leftovers dropped). */
    AFTER_SUCCESS
  }

  public static Undo undoOf(Task task) {
    return switch (task) {
      // Flyway has no free undo: all pending migrations run in one transaction, rolled back if any fails.
      case SchemaUpdate -> Undo.ONLY_WHILE_RUNNING;
      case OptimizeIndexes -> Undo.AFTER_SUCCESS;
      case UpdateStatistics, ValidateIntegrity, Upgrade -> Undo.NOTHING_TO_UNDO;
    };
  }

  /**
   * Tasks in the order they run, whatever order the spec lists them in: the schema first (indexes and statistics
   * must see the new schema), then indexes, then statistics over the rebuilt indexes, then validation of the result.
   */
  public static List<Task> order(List<Task> tasks) {
    return tasks.stream().distinct().sorted(Comparator.comparingInt(Task::ordinal)).toList();
  }

  /** Default estimates before a task has been measured on this unit. */
  static Duration defaultEstimate(Task task) {
    return switch (task) {
      case SchemaUpdate -> Duration.ofSeconds(30);
      case OptimizeIndexes -> Duration.ofMinutes(2);
      case UpdateStatistics, ValidateIntegrity -> Duration.ofMinutes(1);
      case Upgrade -> Duration.ofMinutes(5);
    };
  }

  /** The estimate of a task: its last measured duration with a margin, else the default. */
  public static Duration estimate(Task task, Map<Task, Duration> lastMeasured) {
    Duration measured = lastMeasured.get(task);
    if (measured == null) {
      return defaultEstimate(task);
    }
    return Duration.ofMillis((long) Math.ceil(measured.toMillis() * ESTIMATE_MARGIN));
  }

  /** Whether a task expected to take {@code estimate} can start at {@code now} and still leave time to resume. */
  public static boolean fits(Instant now, Instant windowEnd, Duration estimate) {
    return !now.plus(estimate).plus(RESUME_RESERVE).isAfter(windowEnd);
  }

  /**
   * The tasks to roll back after {@code failed} failed, in the order to undo them (newest first). The failed task
   * always comes first (it cleans up after itself); with RollbackAll the completed tasks follow, but only those
   * whose effect can still be undone.
   *
   * @param completed tasks that succeeded before the failure, in run order
   */
  public static List<Task> rollback(List<Task> completed, Task failed, RollbackPolicy policy) {
    List<Task> plan = new ArrayList<>();
    plan.add(failed);
    plan.addAll(undoCompleted(completed, policy));
    return List.copyOf(plan);
  }

  /** The completed tasks to undo when the run fails without a failing task (a lost lease), newest first. */
  public static List<Task> undoCompleted(List<Task> completed, RollbackPolicy policy) {
    List<Task> plan = new ArrayList<>();
    if (policy == RollbackPolicy.RollbackAll) {
      for (int i = completed.size() - 1; i >= 0; i--) {
        if (undoOf(completed.get(i)) == Undo.AFTER_SUCCESS) {
          plan.add(completed.get(i));
        }
      }
    }
    return List.copyOf(plan);
  }

  /**
   * What a (new) operator does with a run it finds in status that no live instance is running.
   *
   * @param resumeFirst send RESUME before anything else: a PgBouncer left paused is the worst outcome
   * @param rollBack undo what the run's tasks changed (all of them: the run failed)
   * @param postChecks run the post-checks (health and canary) before ending the run
   */
  public record Recovery(boolean resumeFirst, boolean rollBack, boolean postChecks) {}

  public static Recovery recovery(RunPhase phase) {
    return switch (phase) {
      // Nothing was paused or changed: the run just ends as failed.
      case Pending, Prechecks -> new Recovery(false, false, false);
      // PAUSE may be in force; no task ran yet.
      case Draining -> new Recovery(true, false, true);
      // A task may have been half done: the database already rolled back its open transaction with the lost
      // connection; rolling back cleans up what it committed (e.g. a swapped index) — after traffic is flowing.
      case Running, RollingBack -> new Recovery(true, true, true);
      case Resuming -> new Recovery(true, false, true);
      case PostChecks -> new Recovery(false, false, true);
      case Succeeded, Failed -> new Recovery(false, false, false);
    };
  }
}
