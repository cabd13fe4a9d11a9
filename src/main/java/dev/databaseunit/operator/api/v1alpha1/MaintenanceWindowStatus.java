package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.generator.annotation.Size;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
public record MaintenanceWindowStatus(
    @JsonPropertyDescription("The metadata.generation this status describes.") Long observedGeneration,
    @SchemaFrom(type = ConditionSchema[].class) @JsonPropertyDescription("Ready, Progressing and Degraded, with reasons.")
        List<Condition> conditions,
    @JsonPropertyDescription("Idle, Pending, Prechecks, Draining, Running, RollingBack, Resuming, PostChecks, Succeeded or Failed.")
        String phase,
    @JsonPropertyDescription("Start of the next window, RFC 3339.") String nextWindowStart,
    @JsonPropertyDescription("The run underway; resumed or rolled back after an operator restart.") Run currentRun,
    @JsonPropertyDescription("The last run that ended.") Run lastRun,
    @Size(max = 256) @JsonPropertyDescription("Units whose run in the window of lastRun has ended (a selector's units run one by one).")
        List<String> windowUnitsDone,
    @JsonPropertyDescription("Scheduled windows count only if they start after this instant, RFC 3339: the window's creation, or "
        + "when the operator first saw it if its clock was behind the API server's. A window that opened before the resource "
        + "existed never starts a run; runNow does at once.") String scheduledSince) {

  public static MaintenanceWindowStatus empty() {
    return new MaintenanceWindowStatus(null, List.of(), null, null, null, null, null, null);
  }

  public MaintenanceWindowStatus withScheduledSince(String since) {
    return new MaintenanceWindowStatus(observedGeneration, conditions, phase, nextWindowStart, currentRun, lastRun, windowUnitsDone, since);
  }

  public MaintenanceWindowStatus withWindowUnitsDone(List<String> newWindowUnitsDone) {
    return new MaintenanceWindowStatus(observedGeneration, conditions, phase, nextWindowStart, currentRun, lastRun, newWindowUnitsDone, scheduledSince);
  }

  public MaintenanceWindowStatus withConditions(Long generation, List<Condition> newConditions) {
    return new MaintenanceWindowStatus(generation, newConditions, phase, nextWindowStart, currentRun, lastRun, windowUnitsDone, scheduledSince);
  }

  public MaintenanceWindowStatus withPhase(String newPhase) {
    return new MaintenanceWindowStatus(observedGeneration, conditions, newPhase, nextWindowStart, currentRun, lastRun, windowUnitsDone, scheduledSince);
  }

  public MaintenanceWindowStatus withNextWindowStart(String newNextWindowStart) {
    return new MaintenanceWindowStatus(observedGeneration, conditions, phase, newNextWindowStart, currentRun, lastRun, windowUnitsDone, scheduledSince);
  }

  public MaintenanceWindowStatus withCurrentRun(Run newCurrentRun) {
    return new MaintenanceWindowStatus(observedGeneration, conditions, phase, nextWindowStart, newCurrentRun, lastRun, windowUnitsDone, scheduledSince);
  }

  public MaintenanceWindowStatus withLastRun(Run newLastRun) {
    return new MaintenanceWindowStatus(observedGeneration, conditions, phase, nextWindowStart, currentRun, newLastRun, windowUnitsDone, scheduledSince);
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Run(
      @JsonPropertyDescription("Unique id of the run.") String id,
      @JsonPropertyDescription("The DatabaseUnit maintained.") String unit,
      @JsonPropertyDescription("metadata.generation of the window that started the run.") Long generation,
      @JsonPropertyDescription("Operator instance that runs it (holder of the unit's maintenance Lease).") String holder,
      @JsonPropertyDescription("Start of the window the run belongs to.") String windowStart,
      @JsonPropertyDescription("End of that window: no task starts that cannot finish before it.") String windowEnd,
      @JsonPropertyDescription("When the run started, RFC 3339.") String startTime,
      @JsonPropertyDescription("When the run ended, RFC 3339; unset while it is underway.") String endTime,
      @JsonPropertyDescription("Succeeded, Incomplete (tasks left for a later window), RolledBack or Failed.") String outcome,
      @JsonPropertyDescription("Why the run failed or rolled back.") String reason,
      @JsonPropertyDescription("Time from PAUSE until no server connection was busy, in seconds.") Double drainSeconds,
      @JsonPropertyDescription("Server connections closed by force at the drain timeout.") Integer connectionsForceClosed,
      @JsonPropertyDescription("One entry per task, in run order.") List<TaskResult> tasks,
      @JsonPropertyDescription("The on-demand backup this run requested in its prechecks (prechecks.takeBackupIfMissing); kept so "
          + "that a restarted operator waits for it instead of asking again.") BackupRequest backupRequest) {

    public Run withEnd(String newEndTime, String newOutcome, String newReason) {
      return new Run(id, unit, generation, holder, windowStart, windowEnd, startTime, newEndTime, newOutcome, newReason,
          drainSeconds, connectionsForceClosed, tasks, backupRequest);
    }

    public Run withHolder(String newHolder) {
      return new Run(id, unit, generation, newHolder, windowStart, windowEnd, startTime, endTime, outcome, reason,
          drainSeconds, connectionsForceClosed, tasks, backupRequest);
    }

    public Run withDrain(Double newDrainSeconds, Integer newConnectionsForceClosed) {
      return new Run(id, unit, generation, holder, windowStart, windowEnd, startTime, endTime, outcome, reason,
          newDrainSeconds, newConnectionsForceClosed, tasks, backupRequest);
    }

    public Run withTasks(List<TaskResult> newTasks) {
      return new Run(id, unit, generation, holder, windowStart, windowEnd, startTime, endTime, outcome, reason,
          drainSeconds, connectionsForceClosed, newTasks, backupRequest);
    }

    public Run withBackupRequest(BackupRequest newBackupRequest) {
      return new Run(id, unit, generation, holder, windowStart, windowEnd, startTime, endTime, outcome, reason,
          drainSeconds, connectionsForceClosed, tasks, newBackupRequest);
    }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record BackupRequest(
      @JsonPropertyDescription("The BackupPolicy asked for the backup.") String policy,
      @JsonPropertyDescription("The token written to its databaseunit.dev/backup-now annotation.") String token,
      @JsonPropertyDescription("When it was asked, RFC 3339.") String requestedAt) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record TaskResult(
      @JsonPropertyDescription("The task.") MaintenanceWindowSpec.Task task,
      @JsonPropertyDescription("Pending, Running, Succeeded, Failed, RolledBack or Skipped.") String state,
      @JsonPropertyDescription("When the task started, RFC 3339.") String startTime,
      @JsonPropertyDescription("When the task ended, RFC 3339.") String endTime,
      @JsonPropertyDescription("How long the task ran, in seconds.") Double durationSeconds,
      @JsonPropertyDescription("What the task did, or its error.") String message,
      @JsonPropertyDescription("Why a Skipped task was not run: NotAvailable (the task does not apply to this unit), WindowEnds (it "
          + "would not finish before the window ends), LeaseLost or EarlierTaskFailed.") SkipReason skipReason) {

    public TaskResult(MaintenanceWindowSpec.Task task, String state, String startTime, String endTime, Double durationSeconds,
        String message) {
      this(task, state, startTime, endTime, durationSeconds, message, null);
    }
  }

  /** Why a task of a run was not run. */
  public enum SkipReason {
    /** The task declined: what it does is not available for this unit. */
    NotAvailable,
    /** Its estimated duration would not end before the window does: the run ends Incomplete. */
    WindowEnds,
    /** The unit's maintenance Lease was lost before it started. */
    LeaseLost,
    /** An earlier task of the run failed. */
    EarlierTaskFailed
  }
}
