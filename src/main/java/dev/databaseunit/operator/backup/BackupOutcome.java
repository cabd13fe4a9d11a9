package dev.databaseunit.operator.backup;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Tier;
import java.util.Set;

/**
 * What finished backup work reports back to the next reconcile. {@code scheduledFor} and {@code onDemandToken} name
 * the fire or request the work served; both are null when it served none.
 */
sealed interface BackupOutcome {
  /** @param copyProblem why the cross-region copy failed, or null (copied or not asked for) */
  record BackedUp(BackupManifest manifest, Set<String> expired, int retained, String scheduledFor, String onDemandToken,
      boolean adopted, Boolean copied, String copyProblem, KeyRotation.Result rotation) implements BackupOutcome {}

  record BackupFailed(Tier tier, String message, String scheduledFor, String onDemandToken) implements BackupOutcome {}

  /** A backup cut off by an operator restart whose partial object was removed: its fire or request runs again. */
  record Interrupted(String backupId) implements BackupOutcome {}

  record RestoreTested(RestoreTester.Result result, String scheduledFor, String onDemandToken) implements BackupOutcome {}

  /** The storage holds no backup to test yet: not a failure. A scheduled fire waits for one, a request is answered. */
  record NothingToTest(String where, String scheduledFor, String onDemandToken) implements BackupOutcome {}

  record RestoreTestNotRun(String message, String scheduledFor, String onDemandToken) implements BackupOutcome {}
}
