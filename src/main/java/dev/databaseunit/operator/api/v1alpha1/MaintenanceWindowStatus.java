package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
public record MaintenanceWindowStatus(
    Long observedGeneration,
    List<Condition> conditions,
    @JsonPropertyDescription("Idle, Scheduled, Prechecking, Draining, Running, RollingBack, Resuming, Succeeded or Failed.")
        String phase,
    String nextWindowStart,
    @JsonPropertyDescription("The run underway; resumed or rolled back after an operator restart.") Run currentRun,
    Run lastRun) {

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Run(
      String id,
      String unit,
      String startTime,
      String endTime,
      @JsonPropertyDescription("Succeeded, RolledBack or Failed.") String outcome,
      String reason,
      @JsonPropertyDescription("Time from PAUSE until no server connection was busy, in seconds.") Double drainSeconds,
      Integer connectionsForceClosed,
      List<TaskResult> tasks) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record TaskResult(
      MaintenanceWindowSpec.Task task,
      @JsonPropertyDescription("Pending, Running, Succeeded, Failed, RolledBack or Skipped.") String state,
      String startTime,
      String endTime,
      String message) {}
}
