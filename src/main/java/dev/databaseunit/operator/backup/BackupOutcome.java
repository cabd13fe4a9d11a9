package dev.databaseunit.operator.backup;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Tier;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus.BackupSource;
import java.util.Set;

/**
 * What finished backup work reports back to the next reconcile. {@code scheduledFor} and {@code onDemandToken} name
 * the fire or request the work served; both are null when it served none.
 */
sealed interface BackupOutcome {
  /**
   * The manifest is written: the backup stands whatever its housekeeping found.
   *
   * @param copyProblem why the cross-region copy failed, or null (copied or not asked for)
   */
  record BackedUp(BackupManifest manifest, String scheduledFor, String onDemandToken, boolean adopted, Boolean copied,
      String copyProblem, Housekeeping housekeeping) implements BackupOutcome {}

  /** A housekeeping retried on its own, after it had failed behind a backup. */
  record Housekept(Housekeeping housekeeping) implements BackupOutcome {}

  /**
   * Retention and key rotation over the primary storage and the copies. Housekeeping never fails the backup it follows:
   * a failure is its {@code problem}, and the parts before the failure may be done.
   *
   * @param retained good backups left in the primary storage, or null when they could not be listed
   * @param expired ids deleted from the primary storage; expiredCopies from the secondary one
   * @param copyRotation the copies' re-wrap, or null without secondary storage
   * @param problem what failed, or null
   */
  record Housekeeping(Set<String> expired, Set<String> expiredCopies, Integer retained, KeyRotation.Result rotation,
      KeyRotation.Result copyRotation, String problem) {
    static Housekeeping failed(String problem) {
      return new Housekeeping(Set.of(), Set.of(), null, KeyRotation.Result.NONE, null, problem);
    }
  }

  record BackupFailed(Tier tier, String message, String scheduledFor, String onDemandToken) implements BackupOutcome {}

  /** A backup cut off by an operator restart whose partial object was removed: its fire or request runs again. */
  record Interrupted(String backupId) implements BackupOutcome {}

  /** @param source where the restored backup came from */
  record RestoreTested(RestoreTester.Result result, BackupSource source, String scheduledFor, String onDemandToken)
      implements BackupOutcome {}

  /** The storage holds no backup to test yet: not a failure. A scheduled fire waits for one, a request is answered. */
  record NothingToTest(String where, String scheduledFor, String onDemandToken) implements BackupOutcome {}

  record RestoreTestNotRun(String message, String scheduledFor, String onDemandToken) implements BackupOutcome {}
}
