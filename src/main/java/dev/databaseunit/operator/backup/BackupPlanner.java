package dev.databaseunit.operator.backup;

import dev.databaseunit.operator.api.v1alpha1.ApiDurations;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.BackupSchedule;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Tier;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus.BackupSource;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus.Operation;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus.OperationKind;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus.OperationPhase;
import dev.databaseunit.operator.common.ScheduleStart;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.events.EventRecorder;
import dev.databaseunit.operator.status.Conditions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What a BackupPolicy should do next, decided from its spec, annotations and status at an instant: which fires of
 * which tier are due or missed ({@link FireSchedule}), which on-demand requests wait, and the one piece of work to
 * start, if any. Pure: it changes only the draft it is given and takes the time and the retry state as values.
 *
 * <p>A fire counts only after {@code status.scheduledSince} (the policy's creation): nothing runs for a time before
 * the policy existed. Backups then follow their tier's window, restore tests the catch-up rule of
 * {@code spec.restoreTest.window}.
 */
final class BackupPlanner {
  /** The retry key of the restore test; backup tiers use their name. */
  static final String RESTORE_TEST = "restore-test";
  /** The retry key of a housekeeping that failed behind a backup. */
  static final String HOUSEKEEPING = "housekeeping";
  static final Duration MAX_SLEEP = Duration.ofMinutes(10);
  static final String DEFAULT_BACKUP_WINDOW = "1h";
  static final String DEFAULT_RESTORE_TEST_WINDOW = "7d";

  private BackupPlanner() {}

  /** An Event to record, decided by the planner or the reducer. */
  record Notice(EventRecorder.Type type, EventReason reason, String message) {}

  /** The work to start. */
  sealed interface Action {
    record Idle() implements Action {}

    /** @param fire the scheduled fire it serves, or null for an on-demand request */
    record RunBackup(BackupSchedule schedule, Instant fire, String token) implements Action {}

    /** @param source the storage to test: the copies when the previous test restored from the primary */
    record RunRestoreTest(Instant fire, String token, BackupSource source) implements Action {}

    /** Retention and key rotation again, after they failed behind a backup that stands. */
    record RunHousekeeping() implements Action {}
  }

  /** When a failed attempt of a tier (or {@link #RESTORE_TEST}) may run again; null when it may now. */
  @FunctionalInterface
  interface RetryGate {
    RetryGate OPEN = key -> null;

    Instant openAt(String key);
  }

  /** @param missedFires fires newly recorded as missed (not counting a suspended policy's) */
  record Plan(Action action, Duration sleep, int missedFires, List<Notice> notices) {}

  /** @param creationTimestamp the policy's metadata.creationTimestamp */
  static Plan plan(BackupPolicySpec spec, Map<String, String> annotations, String creationTimestamp, PolicyDraft draft, Instant now,
      RetryGate gate) {
    Instant since = ScheduleStart.recordedOr(draft.scheduledSince, creationTimestamp, now);
    draft.scheduledSince = since.toString();
    List<Notice> notices = new ArrayList<>();
    boolean suspended = Boolean.TRUE.equals(spec.suspend());
    Duration sleep = MAX_SLEEP;
    int missed = 0;

    BackupSchedule dueSchedule = null;
    Instant dueFire = null;
    for (BackupSchedule schedule : schedules(spec)) {
      var fires = FireSchedule.of(schedule.cron(), orUtc(schedule.timeZone()),
          ApiDurations.parse(schedule.window() != null ? schedule.window() : DEFAULT_BACKUP_WINDOW));
      var tier = draft.tier(schedule.tier());
      var decision = fires.decide(ScheduleStart.countFrom(since, tier.lastFireTime), now);
      missed += recordMissed(draft, tier, decision, suspended, name(schedule.tier()) + " backup", notices);
      tier.nextFireTime = decision.nextFire() != null ? decision.nextFire().toString() : null;
      sleep = earliest(sleep, decision.nextFire(), now);
      if (decision.due() != null) {
        Instant openAt = gate.openAt(schedule.tier().name());
        if (suspended) {
          tier.lastFireTime = decision.due().toString();
        } else if (dueSchedule == null && open(openAt, now)) {
          dueSchedule = schedule;
          dueFire = decision.due();
        } else {
          sleep = earliest(sleep, openAt != null ? openAt : now.plus(BackupReducer.RETRY.initial()), now);
        }
      }
    }

    Instant restoreDue = null;
    var restoreSpec = spec.restoreTest();
    if (restoreSpec != null && !Boolean.FALSE.equals(restoreSpec.enabled())) {
      var fires = FireSchedule.of(restoreSpec.cron(), orUtc(restoreSpec.timeZone()), restoreTestWindow(spec));
      var decision = fires.decide(ScheduleStart.countFrom(since, draft.restoreSchedule.lastFireTime), now);
      // Fires that passed while the test waited for a first backup had nothing to test: they are handled, not missed.
      boolean waiting = draft.restoreTestWaitingFor != null;
      missed += recordMissed(draft, draft.restoreSchedule, decision, suspended || waiting, "restore test", notices);
      draft.restoreSchedule.nextFireTime = decision.nextFire() != null ? decision.nextFire().toString() : null;
      sleep = earliest(sleep, decision.nextFire(), now);
      Instant openAt = gate.openAt(RESTORE_TEST);
      if (decision.due() != null && suspended) {
        draft.restoreSchedule.lastFireTime = decision.due().toString();
      } else if (decision.due() != null && open(openAt, now)) {
        restoreDue = decision.due();
      } else if (decision.due() != null) {
        sleep = earliest(sleep, openAt, now);
      }
      // Waiting ends when no fire is due any more; a newer fire that comes while waiting waits in the older one's place.
      draft.restoreTestWaitingFor = waiting && decision.due() != null ? decision.due().toString() : null;
    } else {
      draft.restoreTestWaitingFor = null;
    }

    // On-demand requests run even when scheduling is suspended: they are explicit. A due fire goes first (it has a window).
    var backupNow = OnDemand.pendingBackup(annotations, draft.lastOnDemandBackup, schedules(spec))
        .filter(r -> accepted(r, "backup", now, notices, rejected -> draft.lastOnDemandBackup = rejected));
    var restoreTestNow = OnDemand.pendingRestoreTest(annotations, draft.lastOnDemandRestoreTest)
        .filter(r -> accepted(r, "restore test", now, notices, rejected -> draft.lastOnDemandRestoreTest = rejected));

    boolean housekeepingDue = false;
    if (draft.workFailure != null && draft.workFailure.reason() == EventReason.BackupHousekeepingFailed) {
      Instant openAt = gate.openAt(HOUSEKEEPING);
      housekeepingDue = open(openAt, now);
      sleep = housekeepingDue ? sleep : earliest(sleep, openAt, now);
    }

    BackupSource source = restoreSource(spec, draft.lastRestoreTest);
    Action action = new Action.Idle();
    if (dueSchedule != null) {
      action = new Action.RunBackup(dueSchedule, dueFire, null);
    } else if (backupNow.isPresent()) {
      Tier tier = backupNow.get().tier();
      action = new Action.RunBackup(schedules(spec).stream().filter(s -> s.tier() == tier).findFirst().orElseThrow(), null,
          backupNow.get().token());
    } else if (housekeepingDue) {
      action = new Action.RunHousekeeping();
    } else if (restoreDue != null) {
      action = new Action.RunRestoreTest(restoreDue, null, source);
    } else if (restoreTestNow.isPresent()) {
      action = new Action.RunRestoreTest(null, restoreTestNow.get().token(), source);
    }
    return new Plan(action, sleep, missed, List.copyOf(notices));
  }

  /** The status entry of the work an action starts. */
  static Operation operation(Action action, Instant now) {
    return switch (action) {
      case Action.RunBackup b -> new Operation(OperationKind.Backup, BackupCatalog.newBackupId(b.schedule().tier(), now),
          OperationPhase.Dumping, now.toString(), b.schedule().tier(), b.fire() != null ? b.fire().toString() : null, b.token());
      case Action.RunRestoreTest t -> new Operation(OperationKind.RestoreTest, null, OperationPhase.Restoring, now.toString(), null,
          t.fire() != null ? t.fire().toString() : null, t.token());
      case Action.RunHousekeeping h -> new Operation(OperationKind.Housekeeping, null, OperationPhase.Housekeeping, now.toString(), null,
          null, null);
      case Action.Idle idle -> throw new IllegalArgumentException("no work to start");
    };
  }

  /** With a secondary storage, restore tests alternate: a copy after a test of the primary, the primary otherwise. */
  static BackupSource restoreSource(BackupPolicySpec spec, BackupPolicyStatus.RestoreTestReport last) {
    return spec.secondaryStorage() != null && last != null && last.source() == BackupSource.Primary
        ? BackupSource.Copy : BackupSource.Primary;
  }

  static Duration restoreTestWindow(BackupPolicySpec spec) {
    var restoreTest = spec.restoreTest();
    return ApiDurations.parse(restoreTest != null && restoreTest.window() != null ? restoreTest.window() : DEFAULT_RESTORE_TEST_WINDOW);
  }

  /** A rejected request is handled at once: recorded with its token and reported, so it is not retried. */
  private static boolean accepted(OnDemand.Request request, String what, Instant now, List<Notice> notices,
      Consumer<BackupPolicyStatus.OnDemandRequest> record) {
    if (request.rejection() == null) {
      return true;
    }
    record.accept(new BackupPolicyStatus.OnDemandRequest(request.token(), "Rejected", null, now.toString(), now.toString(),
        request.rejection()));
    notices.add(new Notice(EventRecorder.Type.Warning, EventReason.OnDemandRequestRejected, "On-demand " + what + " request "
        + request.token() + " rejected: " + request.rejection()));
    return false;
  }

  /** @param quiet the fires are handled without being counted or reported (a suspended policy's, say) */
  private static int recordMissed(PolicyDraft draft, PolicyDraft.TierState state, FireSchedule.Decision decision, boolean quiet,
      String what, List<Notice> notices) {
    if (decision.missed().isEmpty()) {
      return 0;
    }
    state.lastFireTime = decision.lastMissed().toString();
    if (quiet) {
      return 0;
    }
    state.missedFires += decision.missed().size();
    String message = decision.missed().size() + " " + what + " fire(s) missed their window, the last at " + decision.lastMissed();
    draft.onSchedule = new Conditions.Desired(BackupPolicyReconciler.ON_SCHEDULE, false, EventReason.BackupMissed.name(), message);
    notices.add(new Notice(EventRecorder.Type.Warning, EventReason.BackupMissed, message));
    return decision.missed().size();
  }

  private static boolean open(Instant openAt, Instant now) {
    return openAt == null || !now.isBefore(openAt);
  }

  static Duration earliest(Duration current, Instant at, Instant now) {
    if (at == null) {
      return current;
    }
    Duration until = Duration.between(now, at);
    if (until.compareTo(Duration.ofSeconds(1)) < 0) {
      until = Duration.ofSeconds(1);
    }
    return until.compareTo(current) < 0 ? until : current;
  }

  static List<BackupSchedule> schedules(BackupPolicySpec spec) {
    return spec.schedules() != null ? spec.schedules() : List.of();
  }

  static String name(Tier tier) {
    return tier.name().toLowerCase(Locale.ROOT);
  }

  private static String orUtc(String zone) {
    return zone != null ? zone : "UTC";
  }
}
