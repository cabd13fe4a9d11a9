package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.LabelSelector;
import java.util.List;

/** Seed: drain for up to 300 s then force-close, then update schema, optimize indexes, update statistics, validate. */
@ValidationRule(value = "has(self.databaseUnit) != has(self.selector)", message = "set exactly one of databaseUnit or selector")
@ValidationRule(value = "has(self.schedule) || self.runNow", message = "set a schedule or runNow")
@ValidationRule(value = "self.tasks.all(t, self.tasks.exists_one(u, u == t))", message = "tasks must not repeat")
public record MaintenanceWindowSpec(
    @Pattern(ApiPatterns.K8S_NAME) @Size(max = 253) @JsonPropertyDescription("The DatabaseUnit to maintain, in this namespace.") String databaseUnit,
    @JsonPropertyDescription("Maintain every DatabaseUnit in this namespace matching these labels.") LabelSelector selector,
    @Pattern(ApiPatterns.QUARTZ_CRON) @Size(max = 128) @JsonPropertyDescription("Quartz cron of the window start.") String schedule,
    @Default("UTC") @Pattern(ApiPatterns.TIME_ZONE) @Size(max = 64) String timeZone,
    @Default("2h") @Pattern(ApiPatterns.POSITIVE_DURATION) @Size(max = 16) @JsonPropertyDescription("Length of the window.") String duration,
    @Default("false") @JsonPropertyDescription("Run once now, inside a window of the given duration.") Boolean runNow,
    @Default("300s") @Pattern(ApiPatterns.POSITIVE_DURATION) @Size(max = 16)
        @JsonPropertyDescription("How long PAUSE waits for in-flight transactions.") String drainTimeout,
    @Default("kill") @JsonPropertyDescription("At drain timeout: kill the remaining server connections, or abort the run.")
        DrainTimeoutAction onDrainTimeout,
    @Default("[\"SchemaUpdate\",\"OptimizeIndexes\",\"UpdateStatistics\",\"ValidateIntegrity\"]") @Size(min = 1, max = 5)
        @JsonPropertyDescription("Tasks, run in this order.") List<Task> tasks,
    @Default("{}") @JsonPropertyDescription("Checks before draining.") Prechecks prechecks,
    @Default("RollbackAll") @JsonPropertyDescription("On a failed task: undo every completed task, or only the failed one.")
        RollbackPolicy rollbackPolicy) {

  public enum Task { SchemaUpdate, OptimizeIndexes, UpdateStatistics, ValidateIntegrity, Upgrade }

  public enum DrainTimeoutAction {
    @JsonProperty("kill") KILL,
    @JsonProperty("abort") ABORT
  }

  public enum RollbackPolicy { RollbackAll, RollbackFailedTask }

  public record Prechecks(
      @Default("true") @JsonPropertyDescription("The unit must be Ready.") Boolean requireReady,
      @Default("24h") @Pattern(ApiPatterns.POSITIVE_DURATION) @Size(max = 16)
          @JsonPropertyDescription("A backup at most this old must exist.") String requireBackupWithin,
      @Default("true") @JsonPropertyDescription("Take a backup through the unit's BackupPolicy when none is recent enough.")
          Boolean takeBackupIfMissing) {}
}
