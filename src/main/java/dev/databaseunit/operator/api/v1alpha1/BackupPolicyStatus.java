package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;

/** Schedule state lives here so a restarted or failed-over operator neither skips nor doubles a backup. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BackupPolicyStatus(
    Long observedGeneration,
    List<Condition> conditions,
    @JsonPropertyDescription("Per tier: last fire, last success, next fire, missed fires.") List<TierStatus> tiers,
    @JsonPropertyDescription("The restore-test schedule: last fire handled, next fire, missed fires (tier is unset).")
        TierStatus restoreTestSchedule,
    @JsonPropertyDescription("A backup or restore test underway, with its phase, resumed after a restart.")
        Operation inProgress,
    @JsonPropertyDescription("The newest backup whose manifest was written.") BackupRecord lastBackup,
    @JsonPropertyDescription("Backups currently retained, all tiers.") Integer retainedBackups,
    RestoreTestReport lastRestoreTest) {

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record TierStatus(
      BackupPolicySpec.Tier tier, String lastFireTime, String lastSuccessTime, String nextFireTime, Integer missedFires) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Operation(
      @JsonPropertyDescription("Backup or RestoreTest.") String kind,
      String id,
      @JsonPropertyDescription("Dumping, Uploading, WritingManifest, Copying, Restoring, Checking, CleaningUp.") String phase,
      String startTime,
      @JsonPropertyDescription("Tier of a backup underway.") BackupPolicySpec.Tier tier,
      @JsonPropertyDescription("The scheduled fire this work serves; it is handled only once the work has finished.")
          String scheduledFor) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record BackupRecord(
      String id, BackupPolicySpec.Tier tier, String startTime, String endTime, Long sizeBytes, String sha256,
      String objectKey, @JsonPropertyDescription("Whether the cross-region copy was verified.") Boolean copied) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record RestoreTestReport(
      String backupId,
      String startTime,
      String endTime,
      @JsonPropertyDescription("Passed or Failed.") String outcome,
      @JsonPropertyDescription("Measured time to a usable restored database, in seconds.") Double recoveryTimeSeconds,
      Boolean rtoMet,
      @JsonPropertyDescription("Age of the restored backup when the test started, in seconds.") Double backupAgeSeconds,
      Boolean rpoMet,
      List<CheckResult> checks) {}

  public record CheckResult(BackupPolicySpec.Check name, Boolean passed, String detail) {}
}
