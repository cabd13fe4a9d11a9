package dev.databaseunit.operator.maintenance;

import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowSpec;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowSpec.Task;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowStatus.SkipReason;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowStatus.TaskResult;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.events.EventRecorder;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The tasks of a drained run, in {@link RunPlan} order, each result moved through {@link TaskState}'s table and written
 * to status before the next task starts; on a failure (or a lost Lease) the completed tasks are rolled back as the
 * window's rollback policy says. After an operator restart, {@link #rollBackAfterRestart} undoes what the dead run did.
 */
final class TaskRunner {
  private final MaintenanceRun.Services services;
  private final RunRecord record;
  private final BooleanSupplier leaseLost;

  TaskRunner(MaintenanceRun.Services services, RunRecord record, BooleanSupplier leaseLost) {
    this.services = services;
    this.record = record;
    this.leaseLost = leaseLost;
  }

  /** Runs the tasks in order; on a failure rolls back and returns why (null: no task failed). */
  RunFailure runAll(UnitAccess access) {
    List<Task> plan = RunPlan.order(record.spec().tasks());
    List<TaskResult> results = new ArrayList<>(plan.stream().map(t -> new TaskResult(t, TaskState.Pending.name(), null, null, null, null)).toList());
    Map<Task, Duration> measured = lastMeasured();
    Instant windowEnd = Instant.parse(record.run().windowEnd());
    List<Task> completed = new ArrayList<>();
    for (int i = 0; i < plan.size(); i++) {
      Task task = plan.get(i);
      if (leaseLost.getAsBoolean()) {
        skipFrom(results, i, SkipReason.LeaseLost, "not run: the unit's maintenance Lease was lost");
        return rollBack(access, results, completed, null, new RunFailure(EventReason.MaintenanceFailed,
            "lost the unit's maintenance Lease before " + task));
      }
      Instant now = services.clock().instant();
      if (!RunPlan.fits(now, windowEnd, RunPlan.estimate(task, measured))) {
        String why = "not started: estimated " + RunPlan.estimate(task, measured).toSeconds() + " s would not finish before the window ends at " + windowEnd;
        skipFrom(results, i, SkipReason.WindowEnds, why);
        record.event(EventRecorder.Type.Warning, EventReason.MaintenanceTasksSkipped, plan.subList(i, plan.size()) + " " + why);
        keep(results);
        return null;
      }
      moveTask(results, i, new TaskResult(task, TaskState.Running.name(), RunRecord.timestamp(now), null, null, null));
      keep(results);
      record.moveTo(RunPhase.Running);
      long t0 = System.nanoTime();
      try {
        String message = services.tasks().get(task).run(access.taskTarget());
        moveTask(results, i, ended(results.get(i), TaskState.Succeeded, t0, message, null));
        completed.add(task);
      } catch (TaskSkipped e) {
        moveTask(results, i, ended(results.get(i), TaskState.Skipped, t0, e.getMessage(), SkipReason.NotAvailable));
      } catch (Exception e) {
        String error = RunFailure.describe(e, access);
        moveTask(results, i, ended(results.get(i), TaskState.Failed, t0, error, null));
        skipFrom(results, i + 1, SkipReason.EarlierTaskFailed, "not run: " + task + " failed");
        record.event(EventRecorder.Type.Warning, EventReason.MaintenanceTaskFailed, task + " failed: " + error + "; rolling back");
        return rollBack(access, results, completed, task,
            new RunFailure(EventReason.MaintenanceTaskFailed, "task " + task + " failed: " + error));
      }
      keep(results);
    }
    keep(results);
    return null;
  }

  /**
   * Undoes what a run a stopped operator left did: every task that started may have left something, and the one that
   * was running counts as failed. After a crash the run failed as a whole, so every completed task that can be undone
   * is, whatever the policy. Returns {@code failure} with the errors of that rollback.
   */
  RunFailure rollBackAfterRestart(UnitAccess access, RunFailure failure) {
    List<TaskResult> results = new ArrayList<>(record.run().tasks() == null ? List.of() : record.run().tasks());
    Task running = results.stream().filter(t -> state(t) == TaskState.Running).map(TaskResult::task).findFirst().orElse(null);
    List<Task> completed = results.stream().filter(t -> state(t) == TaskState.Succeeded).map(TaskResult::task).toList();
    if (running != null) {
      int i = indexOf(results, running);
      TaskResult r = results.get(i);
      moveTask(results, i, new TaskResult(running, TaskState.Failed.name(), r.startTime(), RunRecord.timestamp(services.clock().instant()),
          null, "interrupted by an operator restart"));
    }
    List<Task> undo = running != null ? RunPlan.rollback(completed, running, MaintenanceWindowSpec.RollbackPolicy.RollbackAll)
        : RunPlan.undoCompleted(completed, MaintenanceWindowSpec.RollbackPolicy.RollbackAll);
    List<String> errors = undoTasks(access, results, undo, running);
    keep(results);
    return failure.withRollbackErrors(errors);
  }

  /** Whether every task of the run as recorded succeeded or was skipped. */
  boolean allSucceeded() {
    var tasks = record.run().tasks();
    return tasks != null && tasks.stream().allMatch(t -> state(t) == TaskState.Succeeded || state(t) == TaskState.Skipped);
  }

  /** Rolls back after {@code failed} (null: no task failed, e.g. a lost lease) and returns the failure to report. */
  private RunFailure rollBack(UnitAccess access, List<TaskResult> results, List<Task> completed, Task failed, RunFailure failure) {
    keep(results);
    record.moveTo(RunPhase.RollingBack);
    var policy = record.spec().rollbackPolicy();
    List<Task> undo = failed != null ? RunPlan.rollback(completed, failed, policy) : RunPlan.undoCompleted(completed, policy);
    List<String> rollbackErrors = undoTasks(access, results, undo, failed);
    keep(results);
    return failure.withRollbackErrors(rollbackErrors);
  }

  private List<String> undoTasks(UnitAccess access, List<TaskResult> results, List<Task> undo, Task failed) {
    List<String> errors = new ArrayList<>();
    for (Task task : undo) {
      int index = indexOf(results, task);
      TaskResult before = results.get(index);
      try {
        String message = services.tasks().get(task).rollback(access.taskTarget());
        moveTask(results, index, task == failed
            ? new TaskResult(task, TaskState.Failed.name(), before.startTime(), before.endTime(), before.durationSeconds(),
                before.message() + "; rollback: " + message)
            : new TaskResult(task, TaskState.RolledBack.name(), before.startTime(), RunRecord.timestamp(services.clock().instant()),
                before.durationSeconds(), message));
      } catch (Exception e) {
        errors.add(task + ": " + RunFailure.describe(e, access));
      }
    }
    return errors;
  }

  private void keep(List<TaskResult> results) {
    record.set(record.run().withTasks(List.copyOf(results)));
  }

  /** How long each task took when it last succeeded in this window: the estimate of whether it still fits. */
  private Map<Task, Duration> lastMeasured() {
    Map<Task, Duration> measured = new EnumMap<>(Task.class);
    var status = record.window().getStatus();
    var last = status != null ? status.lastRun() : null;
    if (last != null && last.tasks() != null) {
      last.tasks().stream().filter(t -> state(t) == TaskState.Succeeded && t.durationSeconds() != null)
          .forEach(t -> measured.put(t.task(), Duration.ofMillis(Math.round(t.durationSeconds() * 1000))));
    }
    return measured;
  }

  private TaskResult ended(TaskResult started, TaskState state, long t0, String message, SkipReason skipped) {
    double seconds = Math.round((System.nanoTime() - t0) / 1e6) / 1000.0;
    return new TaskResult(started.task(), state.name(), started.startTime(), RunRecord.timestamp(services.clock().instant()), seconds,
        message, skipped);
  }

  private static void skipFrom(List<TaskResult> results, int from, SkipReason reason, String why) {
    for (int j = from; j < results.size(); j++) {
      moveTask(results, j, new TaskResult(results.get(j).task(), TaskState.Skipped.name(), null, null, null, why, reason));
    }
  }

  /** Replaces a task's result, refusing a move its state table does not allow. */
  private static void moveTask(List<TaskResult> results, int index, TaskResult next) {
    TaskState from = state(results.get(index));
    if (from != null && !from.canMoveTo(state(next))) {
      throw new IllegalStateException(next.task() + " cannot move from " + from + " to " + next.state());
    }
    results.set(index, next);
  }

  private static TaskState state(TaskResult task) {
    return TaskState.of(task.state());
  }

  private static int indexOf(List<TaskResult> results, Task task) {
    for (int i = 0; i < results.size(); i++) {
      if (results.get(i).task() == task) {
        return i;
      }
    }
    throw new IllegalArgumentException(task + " is not in the run");
  }
}
