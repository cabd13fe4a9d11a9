package dev.databaseunit.operator.backup;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus.Operation;
import dev.databaseunit.operator.backup.BackupPlanner.Notice;
import dev.databaseunit.operator.common.Backoff;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.events.EventRecorder;
import dev.databaseunit.operator.status.Conditions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * How finished work changes a BackupPolicy's status: the outcome of a backup or restore test becomes the schedule
 * state (a fire is handled only once its work has ended), the last backup and restore-test report, the on-demand
 * record, a standing failure or its clearing, the Events to record and the retry state. Pure, like
 * {@link BackupPlanner}; {@link #conditions} turns the result into Ready, Degraded and Progressing.
 */
final class BackupReducer {
  /**
   * A failed scheduled attempt runs again a minute later, as often as its window lasts: the window bounds the tries, and
   * a schedule's next fire is a fresh start. The gate is kept per retry key by the reconciler (in memory).
   */
  static final Backoff RETRY = Backoff.fixed(Duration.ofMinutes(1), Backoff.UNLIMITED);
  /**
   * A scheduled restore test with nothing to test runs at once after this policy's next backup succeeds, and otherwise
   * looks again this often (a backup may come from another operator instance after a fail-over).
   */
  static final Duration LOOK_FOR_BACKUP_EVERY = Duration.ofHours(6);
  /** A condition only policies asking for point-in-time recovery carry: it says that nothing provides it yet. */
  static final String POINT_IN_TIME_RECOVERY = "PointInTimeRecovery";

  private BackupReducer() {}

  /**
   * @param retryAt retry keys ({@link BackupPlanner#RESTORE_TEST} or a tier's name) that may run again only from then
   * @param retryCleared retry keys that may run at once
   */
  record Reduction(List<Notice> notices, Map<String, Instant> retryAt, Set<String> retryCleared) {}

  static Reduction reduce(PolicyDraft draft, BackupOutcome outcome, BackupPolicySpec spec, Instant now) {
    Operation operation = draft.inProgress;
    draft.inProgress = null;
    String started = operation != null ? operation.startTime() : null;
    String ended = now.toString();
    List<Notice> notices = new ArrayList<>();
    Map<String, Instant> retryAt = new HashMap<>();
    Set<String> cleared = new HashSet<>();
    switch (outcome) {
      case BackupOutcome.BackedUp done -> {
        BackupManifest m = done.manifest();
        var tier = draft.tier(m.tier());
        if (done.scheduledFor() != null) {
          tier.lastFireTime = done.scheduledFor();
        }
        tier.lastSuccessTime = m.endTime().toString();
        draft.lastBackup = new BackupPolicyStatus.BackupRecord(m.backupId(), m.tier(), m.startTime().toString(),
            m.endTime().toString(), m.storedBytes(), m.sha256(), m.objectKey(), done.copied());
        draft.workFailure = null;
        if (done.scheduledFor() != null) {
          draft.onSchedule = new Conditions.Desired(BackupPolicyReconciler.ON_SCHEDULE, true, EventReason.BackupSucceeded.name(),
              "The newest " + BackupPlanner.name(m.tier()) + " backup ran on schedule");
          cleared.add(m.tier().name());
        }
        // A restore test waiting for something to test may run now.
        cleared.add(BackupPlanner.RESTORE_TEST);
        if (done.onDemandToken() != null) {
          draft.lastOnDemandBackup = new BackupPolicyStatus.OnDemandRequest(done.onDemandToken(), "Succeeded", m.backupId(), started,
              ended, null);
        }
        notices.add(new Notice(EventRecorder.Type.Normal, EventReason.BackupSucceeded, "Backup " + m.backupId() + " ("
            + m.storedBytes() + " bytes, " + m.tables().size() + " tables) written to " + m.objectKey()
            + (done.adopted() ? " (finished before an operator restart)" : "") + forRequest(done.onDemandToken())));
        if (done.copyProblem() != null) {
          notices.add(new Notice(EventRecorder.Type.Warning, EventReason.BackupCopyFailed, "Backup " + m.backupId()
              + " was not copied to the secondary storage: " + done.copyProblem()));
        }
        housekept(draft, done.housekeeping(), m.encryption(), notices, retryAt, cleared, now);
      }
      case BackupOutcome.Housekept housekept -> {
        draft.workFailure = null;
        housekept(draft, housekept.housekeeping(), null, notices, retryAt, cleared, now);
      }
      case BackupOutcome.BackupFailed failed -> {
        if (failed.onDemandToken() != null) {
          draft.lastOnDemandBackup = new BackupPolicyStatus.OnDemandRequest(failed.onDemandToken(), "Failed",
              operation != null ? operation.id() : null, started, ended, failed.message());
        } else if (failed.tier() != null) {
          retryAt.put(failed.tier().name(), now.plus(RETRY.initial()));
        }
        draft.workFailure = new UnitProblem(EventReason.BackupFailed, "Backup failed: " + failed.message());
        notices.add(new Notice(EventRecorder.Type.Warning, EventReason.BackupFailed, "Backup "
            + (operation != null ? operation.id() : "") + forRequest(failed.onDemandToken()) + " failed: " + failed.message()));
      }
      case BackupOutcome.Interrupted interrupted -> notices.add(new Notice(EventRecorder.Type.Warning, EventReason.BackupInterrupted,
          "Backup " + interrupted.backupId() + " was interrupted; its partial object was removed and the backup runs again"));
      case BackupOutcome.RestoreTested tested -> {
        RestoreTester.Result r = tested.result();
        if (tested.scheduledFor() != null) {
          draft.restoreSchedule.lastFireTime = tested.scheduledFor();
          draft.restoreTestWaitingFor = null;
        }
        if (tested.onDemandToken() != null) {
          draft.lastOnDemandRestoreTest = new BackupPolicyStatus.OnDemandRequest(tested.onDemandToken(), r.passed() ? "Passed" : "Failed",
              r.backupId(), started, ended, null);
        }
        draft.lastRestoreTest = report(r, tested.source(), spec);
        if (r.passed()) {
          draft.workFailure = null;
          cleared.add(BackupPlanner.RESTORE_TEST);
          notices.add(new Notice(EventRecorder.Type.Normal, EventReason.RestoreTestPassed, "Restore test of backup "
              + r.backupId() + forRequest(tested.onDemandToken()) + " passed: recovered in " + RestoreTester.seconds(r.recoveryTime())));
        } else {
          String failedChecks = r.checks().stream().filter(c -> !c.passed())
              .map(c -> c.check().name().toLowerCase(Locale.ROOT) + ": " + c.detail()).collect(Collectors.joining("; "));
          draft.workFailure = new UnitProblem(EventReason.RestoreTestFailed, "Restore test of backup " + r.backupId()
              + forRequest(tested.onDemandToken()) + " failed: " + failedChecks);
          notices.add(new Notice(EventRecorder.Type.Warning, EventReason.RestoreTestFailed, draft.workFailure.getMessage()));
        }
      }
      case BackupOutcome.NothingToTest nothing -> {
        if (nothing.scheduledFor() != null) {
          // The fire stays due, without a failure: it runs once a backup exists, within the restore test's window.
          if (!nothing.scheduledFor().equals(draft.restoreTestWaitingFor)) {
            notices.add(new Notice(EventRecorder.Type.Normal, EventReason.RestoreTestWaiting, waitingMessage(nothing.scheduledFor(), spec)));
          }
          draft.restoreTestWaitingFor = nothing.scheduledFor();
          retryAt.put(BackupPlanner.RESTORE_TEST, now.plus(LOOK_FOR_BACKUP_EVERY));
        }
        if (nothing.onDemandToken() != null) {
          String message = "there is no backup to test in " + nothing.where() + " yet";
          draft.lastOnDemandRestoreTest = new BackupPolicyStatus.OnDemandRequest(nothing.onDemandToken(), "NotRun", null, started, ended,
              message);
          notices.add(new Notice(EventRecorder.Type.Normal, EventReason.RestoreTestWaiting, "On-demand restore test request "
              + nothing.onDemandToken() + " did not run: " + message));
        }
      }
      case BackupOutcome.RestoreTestNotRun notRun -> {
        if (notRun.scheduledFor() != null) {
          retryAt.put(BackupPlanner.RESTORE_TEST, now.plus(RETRY.initial()));
        }
        if (notRun.onDemandToken() != null) {
          draft.lastOnDemandRestoreTest = new BackupPolicyStatus.OnDemandRequest(notRun.onDemandToken(), "NotRun", null, started, ended,
              notRun.message());
        }
        draft.workFailure = new UnitProblem(EventReason.RestoreTestFailed, "Restore test" + forRequest(notRun.onDemandToken())
            + " could not run: " + notRun.message());
        notices.add(new Notice(EventRecorder.Type.Warning, EventReason.RestoreTestFailed, draft.workFailure.getMessage()));
      }
    }
    return new Reduction(List.copyOf(notices), Map.copyOf(retryAt), Set.copyOf(cleared));
  }

  /**
   * What a housekeeping changes: the retained count, Events for expired and re-wrapped backups (primary and copies), a
   * standing BackupKeyStillNeeded for backups or copies under a key the spec no longer lists, or a standing
   * BackupHousekeepingFailed that retries only the housekeeping.
   *
   * @param current the encryption of the backup just written, naming the current key; null for a housekeeping retry
   */
  private static void housekept(PolicyDraft draft, BackupOutcome.Housekeeping h, BackupManifest.EncryptionInfo current,
      List<Notice> notices, Map<String, Instant> retryAt, Set<String> cleared, Instant now) {
    if (h.retained() != null) {
      draft.retained = h.retained();
    }
    for (String id : h.expired()) {
      notices.add(new Notice(EventRecorder.Type.Normal, EventReason.BackupExpired, "Backup " + id + " passed its retention and was deleted"));
    }
    for (String id : h.expiredCopies()) {
      notices.add(new Notice(EventRecorder.Type.Normal, EventReason.BackupExpired, "The copy of backup " + id
          + " in the secondary storage passed its retention and was deleted"));
    }
    int rewrapped = h.rotation().rewrapped().size() + (h.copyRotation() != null ? h.copyRotation().rewrapped().size() : 0);
    if (rewrapped > 0) {
      notices.add(new Notice(EventRecorder.Type.Normal, EventReason.BackupKeyRotated, rewrapped + " backup(s) and copies re-wrapped"
          + (current != null ? " with key " + current.keyId() + " (fingerprint " + current.keyFingerprint() + ")" : " with the current key")));
    }
    int authenticated = h.rotation().authenticated().size()
        + (h.copyRotation() != null ? h.copyRotation().authenticated().size() : 0);
    if (authenticated > 0) {
      notices.add(new Notice(EventRecorder.Type.Normal, EventReason.BackupKeyRotated, authenticated + " manifest(s) written before "
          + "manifests were authenticated now carry a MAC under the current key"));
    }
    String stranded = Stream.concat(describeStranded(h.rotation(), "backup(s)"),
        h.copyRotation() != null ? describeStranded(h.copyRotation(), "copies in the secondary storage") : Stream.empty())
        .collect(Collectors.joining("; "));
    if (!stranded.isEmpty()) {
      draft.workFailure = new UnitProblem(EventReason.BackupKeyStillNeeded, stranded + ", which spec.encryption no longer lists: add "
          + "that key to previousKeys so they can be re-wrapped, or they cannot be restored");
      notices.add(new Notice(EventRecorder.Type.Warning, EventReason.BackupKeyStillNeeded, draft.workFailure.getMessage()));
    }
    if (h.problem() != null) {
      // The backup stands and its fire is handled: only the housekeeping runs again.
      draft.workFailure = new UnitProblem(EventReason.BackupHousekeepingFailed, "Retention and key rotation failed " + h.problem()
          + "; the backups stand, the housekeeping is retried");
      notices.add(new Notice(EventRecorder.Type.Warning, EventReason.BackupHousekeepingFailed, draft.workFailure.getMessage()));
      retryAt.put(BackupPlanner.HOUSEKEEPING, now.plus(RETRY.initial()));
    } else {
      cleared.add(BackupPlanner.HOUSEKEEPING);
    }
  }

  private static Stream<String> describeStranded(KeyRotation.Result rotation, String what) {
    return rotation.strandedByFingerprint().entrySet().stream().map(e -> e.getValue().size() + " " + what + " (newest "
        + e.getValue().getLast() + ") are wrapped by key fingerprint " + e.getKey());
  }

  /**
   * Ready, Degraded and Progressing (and OnSchedule once a fire was run or missed): an input problem or a standing
   * failure degrades the policy; a restore test waiting for its first backup does not.
   */
  static List<Conditions.Desired> conditions(PolicyDraft draft, UnitProblem problem, BackupPolicySpec spec) {
    List<Conditions.Desired> desired = new ArrayList<>();
    UnitProblem degraded = problem != null ? problem : draft.workFailure;
    if (degraded != null) {
      desired.add(new Conditions.Desired(Conditions.DEGRADED, true, degraded.reason().name(), degraded.getMessage()));
      desired.add(new Conditions.Desired(Conditions.READY, false, degraded.reason().name(), degraded.getMessage()));
    } else {
      desired.add(new Conditions.Desired(Conditions.DEGRADED, false, "AsExpected", "No problems found"));
      desired.add(draft.restoreTestWaitingFor != null
          ? new Conditions.Desired(Conditions.READY, true, EventReason.RestoreTestWaiting.name(),
              "Backups are scheduled; " + waitingMessage(draft.restoreTestWaitingFor, spec))
          : new Conditions.Desired(Conditions.READY, true, "Reconciled", "Backups are scheduled"));
    }
    desired.add(draft.inProgress != null
        ? new Conditions.Desired(Conditions.PROGRESSING, true, draft.inProgress.kind().name(),
            draft.inProgress.kind() + " " + Objects.toString(draft.inProgress.id(), "") + " is " + draft.inProgress.phase())
        : new Conditions.Desired(Conditions.PROGRESSING, false, "Idle", "Nothing in progress"));
    if (draft.onSchedule != null) {
      desired.add(draft.onSchedule);
    }
    if (spec.pointInTimeRecovery() != null && Boolean.TRUE.equals(spec.pointInTimeRecovery().enabled())) {
      desired.add(new Conditions.Desired(POINT_IN_TIME_RECOVERY, false, "NotImplemented", "spec.pointInTimeRecovery.enabled is "
          + "true, but the operator does not archive WAL yet: a restore reaches the newest backup, not any moment (use the "
          + "provider's point-in-time recovery for RDS and Cloud SQL)"));
    }
    return desired;
  }

  private static String waitingMessage(String fire, BackupPolicySpec spec) {
    return "the restore test due at " + fire + " waits for a first backup to test; it runs once one exists, until "
        + Instant.parse(fire).plus(BackupPlanner.restoreTestWindow(spec));
  }

  private static String forRequest(String onDemandToken) {
    return onDemandToken != null ? " (on-demand request " + onDemandToken + ")" : "";
  }

  private static BackupPolicyStatus.RestoreTestReport report(RestoreTester.Result r, BackupPolicyStatus.BackupSource source,
      BackupPolicySpec spec) {
    List<BackupPolicySpec.Check> wanted = spec.restoreTest() != null && spec.restoreTest().checks() != null ? spec.restoreTest().checks()
        : List.of(BackupPolicySpec.Check.values());
    return new BackupPolicyStatus.RestoreTestReport(r.backupId(), source, r.start().toString(), r.end().toString(),
        r.passed() ? "Passed" : "Failed", r.recoveryTime().toMillis() / 1000.0, r.rtoMet(), (double) r.backupAge().toSeconds(),
        r.rpoMet(), r.checks().stream().filter(c -> wanted.contains(c.check()))
            .map(c -> new BackupPolicyStatus.CheckResult(c.check(), c.passed(), c.detail())).toList());
  }
}
