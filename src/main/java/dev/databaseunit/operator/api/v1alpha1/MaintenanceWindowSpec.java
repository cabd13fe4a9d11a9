package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.LabelSelector;
import java.util.List;

/** Seed: drain for up to 300 s then force-close, then update schema, optimize indexes, update statistics, validate. */
@ValidationRule(value = "has(self.databaseUnit) != has(self.selector)", message = "set exactly one of databaseUnit or selector")
@ValidationRule(value = "has(self.schedule) || self.runNow", message = "set a schedule or runNow")
@ValidationRule(value = "self.tasks.all(t, self.tasks.exists_one(u, u == t))", message = "tasks must not repeat")
// Upgrade is skipped until it is implemented: a window of Upgrade alone would do nothing and report Succeeded.
@ValidationRule(value = "self.tasks.exists(t, t != 'Upgrade')",
    message = "the Upgrade task is not implemented yet (it is skipped): a window with only Upgrade would do nothing")
// Both durations in seconds, compared (when both are durations at all: the rules below report the ones that are not). A
// window no longer than its drain timeout could spend all of itself paused and leave no time for the tasks.
@ValidationRule(value = "!has(self.duration) || !has(self.drainTimeout)"
    + " || !self.duration.matches(r\"" + ApiPatterns.POSITIVE_DURATION + "\") || !self.drainTimeout.matches(r\"" + ApiPatterns.POSITIVE_DURATION + "\") || "
    + "(self.duration.endsWith('ms') ? double(int(self.duration.substring(0, self.duration.size() - 2))) / 1000.0"
    + " : double(int(self.duration.substring(0, self.duration.size() - 1)))"
    + "   * (self.duration.endsWith('s') ? 1.0 : self.duration.endsWith('m') ? 60.0 : self.duration.endsWith('h') ? 3600.0"
    + "   : self.duration.endsWith('d') ? 86400.0 : 604800.0))"
    + " > "
    + "(self.drainTimeout.endsWith('ms') ? double(int(self.drainTimeout.substring(0, self.drainTimeout.size() - 2))) / 1000.0"
    + " : double(int(self.drainTimeout.substring(0, self.drainTimeout.size() - 1)))"
    + "   * (self.drainTimeout.endsWith('s') ? 1.0 : self.drainTimeout.endsWith('m') ? 60.0 : self.drainTimeout.endsWith('h') ? 3600.0"
    + "   : self.drainTimeout.endsWith('d') ? 86400.0 : 604800.0))",
    message = "duration must be longer than drainTimeout, or draining could take the whole window (e.g. duration: 2h with "
        + "drainTimeout: 300s)")
@ValidationRule(value = "!has(self.databaseUnit) || self.databaseUnit.matches(r\"" + ApiPatterns.K8S_NAME + "\")", fieldPath = ".databaseUnit",
    message = "databaseUnit " + ApiPatterns.K8S_NAME_MESSAGE)
@ValidationRule(value = "!has(self.schedule) || self.schedule.matches(r\"" + ApiPatterns.CRON + "\")", fieldPath = ".schedule",
    message = "schedule " + ApiPatterns.CRON_MESSAGE)
@ValidationRule(value = "!has(self.schedule) || !self.schedule.matches(r\"" + ApiPatterns.CRON_BOTH_DAYS + "\")", fieldPath = ".schedule",
    message = "schedule " + ApiPatterns.CRON_BOTH_DAYS_MESSAGE)
@ValidationRule(value = "!has(self.timeZone) || self.timeZone.matches(r\"" + ApiPatterns.TIME_ZONE + "\")", fieldPath = ".timeZone",
    message = "timeZone " + ApiPatterns.TIME_ZONE_MESSAGE)
@ValidationRule(value = "!has(self.duration) || self.duration.matches(r\"" + ApiPatterns.POSITIVE_DURATION + "\")", fieldPath = ".duration",
    message = "duration " + ApiPatterns.POSITIVE_DURATION_MESSAGE)
@ValidationRule(value = "!has(self.drainTimeout) || self.drainTimeout.matches(r\"" + ApiPatterns.POSITIVE_DURATION + "\")", fieldPath = ".drainTimeout",
    message = "drainTimeout " + ApiPatterns.POSITIVE_DURATION_MESSAGE)
public record MaintenanceWindowSpec(
    @Size(max = 253) @JsonPropertyDescription("The DatabaseUnit to maintain, in this namespace.") String databaseUnit,
    @SchemaFrom(type = LabelSelectorSchema.class)
        @JsonPropertyDescription("Maintain every DatabaseUnit in this namespace matching these labels.") LabelSelector selector,
    @Size(max = 128) @JsonPropertyDescription("When the window opens, in timeZone: a CronJob schedule (\"0 2 * * 0\", @weekly) or a "
        + "Quartz cron (\"0 0 2 ? * SUN\").") String schedule,
    @Default("UTC") @Size(max = 64) @JsonPropertyDescription("Time zone of schedule.") String timeZone,
    @Default("2h") @Size(max = 16) @JsonPropertyDescription("Length of the window.") String duration,
    @Default("false") @JsonPropertyDescription("Run once now, inside a window of the given duration.") Boolean runNow,
    @Default("300s") @Size(max = 16)
        @JsonPropertyDescription("How long PAUSE waits for in-flight transactions.") String drainTimeout,
    @Default("kill") @JsonPropertyDescription("At drain timeout: kill the remaining server connections, or abort the run.")
        DrainTimeoutAction onDrainTimeout,
    @Default("[\"SchemaUpdate\",\"OptimizeIndexes\",\"UpdateStatistics\",\"ValidateIntegrity\"]") @Size(min = 1, max = 5)
        @JsonPropertyDescription("Tasks, run in this order; a task is not started when its estimate no longer fits the window. "
            + "Upgrade is not implemented yet: it is reported as skipped, and a window of Upgrade alone is refused.") List<Task> tasks,
    @Default("{}") @JsonPropertyDescription("Checks before draining.") Prechecks prechecks,
    @Default("RollbackAll") @JsonPropertyDescription("On a failed task: undo every completed task, or only the failed one.")
        RollbackPolicy rollbackPolicy,
    @Default("false") @JsonPropertyDescription("Hold the window: no scheduled window starts a run while true (runNow still runs: it "
        + "is explicit); a run underway finishes. Set back to false to release it.") Boolean suspend) {

  public enum Task { SchemaUpdate, OptimizeIndexes, UpdateStatistics, ValidateIntegrity, Upgrade }

  public enum DrainTimeoutAction {
    @JsonProperty("kill") KILL,
    @JsonProperty("abort") ABORT
  }

  public enum RollbackPolicy { RollbackAll, RollbackFailedTask }

  @ValidationRule(value = "!has(self.requireBackupWithin) || self.requireBackupWithin.matches(r\"" + ApiPatterns.POSITIVE_DURATION + "\")", fieldPath = ".requireBackupWithin",
      message = "requireBackupWithin " + ApiPatterns.POSITIVE_DURATION_MESSAGE)
  public record Prechecks(
      @Default("true") @JsonPropertyDescription("The unit must be Ready.") Boolean requireReady,
      @Default("true") @JsonPropertyDescription("A BackupPolicy of the unit must report a recent enough backup; false skips the check.")
          Boolean requireBackup,
      @Default("24h") @Size(max = 16)
          @JsonPropertyDescription("A backup at most this old must exist.") String requireBackupWithin,
      @Default("true") @JsonPropertyDescription("When no backup is recent enough, ask the unit's BackupPolicy (the first by name) for "
          + "one through its databaseunit.dev/backup-now annotation and wait for it in Prechecks; the precheck fails if that backup "
          + "fails or has not finished while the drain still fits the window. Without a BackupPolicy the precheck fails.")
          Boolean takeBackupIfMissing) {}
}
