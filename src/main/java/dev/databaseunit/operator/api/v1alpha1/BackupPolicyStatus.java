package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;

/** Schedule state lives here so a restarted or failed-over operator neither skips nor doubles a backup. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BackupPolicyStatus(
    @JsonPropertyDescription("The metadata.generation this status describes.") Long observedGeneration,
    @JsonPropertyDescription("Scheduled fires count only after this instant, RFC 3339: the policy's creation, or when the operator "
        + "first saw the policy if its clock was behind the API server's. A fire from before the policy existed never runs.")
        String scheduledSince,
    @SchemaFrom(type = ConditionSchema[].class) @JsonPropertyDescription("Ready, Progressing and Degraded, with reasons.")
        List<Condition> conditions,
    @JsonPropertyDescription("Per tier: last fire, last success, next fire, missed fires.") List<TierStatus> tiers,
    @JsonPropertyDescription("The restore-test schedule: last fire handled, next fire, missed fires (tier is unset).")
        TierStatus restoreTestSchedule,
    @JsonPropertyDescription("The scheduled restore-test fire that is due but waits for a first backup to test, RFC 3339. It runs "
        + "as soon as a backup exists, until spec.restoreTest.window after the fire; waiting is not a failure.")
        String restoreTestWaitingFor,
    @JsonPropertyDescription("A backup or restore test underway, with its phase, resumed after a restart.")
        Operation inProgress,
    @JsonPropertyDescription("The newest backup whose manifest was written.") BackupRecord lastBackup,
    @JsonPropertyDescription("Backups currently retained, all tiers.") Integer retainedBackups,
    @JsonPropertyDescription("The last restore test that ended.") RestoreTestReport lastRestoreTest,
    @JsonPropertyDescription("The last on-demand backup request (annotation databaseunit.dev/backup-now) handled: a token is "
        + "run once, whatever its outcome; set a new token to run again.") OnDemandRequest lastOnDemandBackup,
    @JsonPropertyDescription("The last on-demand restore test request (annotation databaseunit.dev/restore-test-now) handled.")
        OnDemandRequest lastOnDemandRestoreTest) {

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record TierStatus(
      @JsonPropertyDescription("The tier these times belong to.") BackupPolicySpec.Tier tier,
      @JsonPropertyDescription("The last scheduled fire handled (run or recorded as missed), RFC 3339.") String lastFireTime,
      @JsonPropertyDescription("When the last successful run ended, RFC 3339.") String lastSuccessTime,
      @JsonPropertyDescription("The next scheduled fire, RFC 3339.") String nextFireTime,
      @JsonPropertyDescription("Fires not run within their window, counted since the policy was created.") Integer missedFires) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Operation(
      @JsonPropertyDescription("Backup, RestoreTest, or Housekeeping (retention and key rotation retried after they failed "
          + "behind a backup that stands).") OperationKind kind,
      @JsonPropertyDescription("Id of the backup (unset for a restore test).") String id,
      @JsonPropertyDescription("Where the work is: Dumping and WritingManifest (the backup), Copying (the cross-region copy), "
          + "Housekeeping (retention and key rotation after the manifest is written), Restoring (a restore test), "
          + "CleaningUp (after an operator restart cut the work off).") OperationPhase phase,
      @JsonPropertyDescription("When the work started, RFC 3339.") String startTime,
      @JsonPropertyDescription("Tier of a backup underway.") BackupPolicySpec.Tier tier,
      @JsonPropertyDescription("The scheduled fire this work serves; it is handled only once the work has finished.")
          String scheduledFor,
      @JsonPropertyDescription("The on-demand request token this work serves (unset for scheduled work); it is handled only once "
          + "the work has finished.") String onDemandToken) {}

  public enum OperationKind { Backup, RestoreTest, Housekeeping }

  /** Where a backup is read from: the primary storage, or its cross-region copy in spec.secondaryStorage. */
  public enum BackupSource { Primary, Copy }

  /** The phases of an operation, in the order a backup passes them (a restore test is Restoring throughout). */
  public enum OperationPhase { Dumping, WritingManifest, Copying, Housekeeping, Restoring, CleaningUp }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record BackupRecord(
      @JsonPropertyDescription("Id of the backup, also named in its manifest.") String id,
      @JsonPropertyDescription("Retention tier of the backup.") BackupPolicySpec.Tier tier,
      @JsonPropertyDescription("When the dump started, RFC 3339.") String startTime,
      @JsonPropertyDescription("When the backup finished, RFC 3339.") String endTime,
      @JsonPropertyDescription("Size of the stored (compressed, encrypted) object in bytes.") Long sizeBytes,
      @JsonPropertyDescription("sha256 of the stored object, hex.") String sha256,
      @JsonPropertyDescription("Object key of the backup in the primary bucket.") String objectKey,
      @JsonPropertyDescription("Whether the cross-region copy was verified.") Boolean copied) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record RestoreTestReport(
      @JsonPropertyDescription("Id of the backup restored.") String backupId,
      @JsonPropertyDescription("Where the restored backup came from: Primary, or Copy (spec.secondaryStorage). With a secondary "
          + "storage, tests alternate between the two; a copy is tested once one exists.") BackupSource source,
      @JsonPropertyDescription("When the test started, RFC 3339.") String startTime,
      @JsonPropertyDescription("When the test ended, RFC 3339.") String endTime,
      @JsonPropertyDescription("Passed or Failed.") String outcome,
      @JsonPropertyDescription("Measured time to a usable restored database, in seconds.") Double recoveryTimeSeconds,
      @JsonPropertyDescription("Whether recoveryTimeSeconds was within spec.restoreTest.rto.") Boolean rtoMet,
      @JsonPropertyDescription("Age of the restored backup when the test started, in seconds.") Double backupAgeSeconds,
      @JsonPropertyDescription("Whether backupAgeSeconds was within spec.restoreTest.rpo.") Boolean rpoMet,
      @JsonPropertyDescription("One result per check run.") List<CheckResult> checks) {}

  public record CheckResult(
      @JsonPropertyDescription("The check.") BackupPolicySpec.Check name,
      @JsonPropertyDescription("Whether the check passed.") Boolean passed,
      @JsonPropertyDescription("What was checked and found, or why it failed.") String detail) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record OnDemandRequest(
      @JsonPropertyDescription("The annotation's value that was handled.") String token,
      @JsonPropertyDescription("Succeeded, Failed or Rejected for a backup; Passed, Failed, NotRun or Rejected for a restore test.")
          String outcome,
      @JsonPropertyDescription("The backup taken, or the backup the restore test restored.") String backupId,
      @JsonPropertyDescription("When the request was taken up, RFC 3339.") String startTime,
      @JsonPropertyDescription("When it was handled, RFC 3339.") String endTime,
      @JsonPropertyDescription("Why it failed or was rejected.") String message) {}
}
