package dev.databaseunit.operator.backup;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.BackupSchedule;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus.OperationKind;
import dev.databaseunit.operator.backup.BackupPlanner.Action;
import dev.databaseunit.operator.status.Conditions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * A BackupPolicy run by the operator's own decisions ({@link BackupPlanner}, {@link BackupReducer}, {@link BackupReducer#conditions})
 * over simulated time, without I/O: work takes a minute and succeeds (a backup is written, a restore test finds the newest
 * backup and passes, or finds none), the retry gate is the reconciler's, and the operator looks again when the planner
 * asks or when a fire, a window's end or a retry comes, whichever is first. Each step records what a user would see.
 */
final class PolicySimulation {
  static final Duration WORK_TAKES = Duration.ofMinutes(1);

  /** One look of the operator: the time, the work it started (with the fire it serves), and the conditions afterwards. */
  record Step(Instant at, Action action, Instant fire, boolean ready, String readyReason, boolean degraded) {}

  private final BackupPolicySpec spec;
  private final Instant created;
  private final PolicyDraft draft = PolicyDraft.of(null);
  private final Map<String, Instant> retryAt = new HashMap<>();
  private final List<BackupManifest> backups = new ArrayList<>();
  private final List<Step> steps = new ArrayList<>();

  PolicySimulation(BackupPolicySpec spec, Instant created) {
    this.spec = spec;
    this.created = created;
  }

  /** Runs from the creation until {@code end}. */
  PolicySimulation runUntil(Instant end) {
    return run(end, false);
  }

  /**
   * Runs until every tier and the restore test have handled a fire, and a day more, or until {@code end}: enough to see
   * the first decisions after the creation of each schedule.
   */
  PolicySimulation runUntilSettledOr(Instant end) {
    return run(end, true);
  }

  private PolicySimulation run(Instant end, boolean untilSettled) {
    Instant now = created;
    Instant settledAt = null;
    while (now.isBefore(end) && (settledAt == null || now.isBefore(settledAt.plus(Duration.ofDays(1))))) {
      var plan = BackupPlanner.plan(spec, Map.of(), created.toString(), draft, now, retryAt::get);
      Instant fire = null;
      Instant next;
      if (plan.action() instanceof Action.Idle) {
        next = wakeUp(now, plan.sleep());
      } else {
        var operation = BackupPlanner.operation(plan.action(), now);
        draft.inProgress = operation;
        fire = operation.scheduledFor() != null ? Instant.parse(operation.scheduledFor()) : null;
        Instant done = now.plus(WORK_TAKES);
        var reduction = BackupReducer.reduce(draft, outcome(plan.action(), operation.id(), now, done), spec, done);
        reduction.retryAt().forEach(retryAt::put);
        reduction.retryCleared().forEach(retryAt::remove);
        next = done;
      }
      var conditions = BackupReducer.conditions(draft, null, spec);
      var ready = conditions.stream().filter(c -> c.type().equals(Conditions.READY)).findFirst().orElseThrow();
      boolean degraded = conditions.stream().anyMatch(c -> c.type().equals(Conditions.DEGRADED) && c.status());
      steps.add(new Step(now, plan.action(), fire, ready.status(), ready.reason(), degraded));
      if (untilSettled && settledAt == null && settled()) {
        settledAt = now;
      }
      now = next;
    }
    return this;
  }

  private boolean settled() {
    boolean restoreHandled = spec.restoreTest() == null || spec.restoreTest().cron() == null
        || draft.restoreSchedule.lastFireTime != null;
    return restoreHandled && spec.schedules().stream().allMatch(s -> draft.tier(s.tier()).lastFireTime != null);
  }

  private BackupOutcome outcome(Action action, String backupId, Instant start, Instant end) {
    return switch (action) {
      case Action.RunBackup b -> {
        var manifest = new BackupManifest(BackupManifest.FORMAT_VERSION, backupId, b.schedule().tier(), "ns/unit", start, end, "db",
            "17", "0/0", "prefix/" + backupId, "gzip", 1, 1, "00", new BackupManifest.EncryptionInfo("AES-256-GCM", 1, "k", "f", "w"),
            List.of(), null);
        backups.add(manifest);
        yield new BackupOutcome.BackedUp(manifest, fireOf(b.fire()), b.token(), false, null, null,
            new BackupOutcome.Housekeeping(java.util.Set.of(), java.util.Set.of(), backups.size(), KeyRotation.Result.NONE, null, null));
      }
      case Action.RunRestoreTest t -> backups.isEmpty()
          ? new BackupOutcome.NothingToTest("s3://bucket/prefix/", fireOf(t.fire()), t.token())
          : new BackupOutcome.RestoreTested(new RestoreTester.Result(backups.getLast().backupId(), start, end, WORK_TAKES,
              Duration.between(backups.getLast().endTime(), start), true, true, List.of()), t.source(), fireOf(t.fire()), t.token());
      case Action.RunHousekeeping h -> new BackupOutcome.Housekept(
          new BackupOutcome.Housekeeping(java.util.Set.of(), java.util.Set.of(), backups.size(), KeyRotation.Result.NONE, null, null));
      case Action.Idle idle -> throw new IllegalStateException();
    };
  }

  /**
   * The next moment anything can change: the soonest fire or retry. The operator looks more often (at most every
   * {@link BackupPlanner#MAX_SLEEP}), but the decisions are a function of the status and the time, and neither changes in
   * between; the planner's own sleep must never overshoot that moment.
   */
  private Instant wakeUp(Instant now, Duration sleep) {
    Stream<Instant> candidates = Stream.concat(
        Stream.concat(draft.tiers.values().stream(), Stream.of(draft.restoreSchedule))
            .map(t -> t.nextFireTime).filter(Objects::nonNull).map(Instant::parse),
        retryAt.values().stream());
    Instant soonest = candidates.filter(t -> t.isAfter(now)).min(Instant::compareTo).orElse(now.plus(sleep));
    Duration until = Duration.between(now, soonest);
    if (sleep.compareTo(until) > 0 && sleep.compareTo(Duration.ofSeconds(1)) > 0) {
      throw new AssertionError("at " + now + " the planner sleeps " + sleep + ", past the next change at " + soonest);
    }
    return soonest;
  }

  private static String fireOf(Instant fire) {
    return fire != null ? fire.toString() : null;
  }

  List<Step> steps() {
    return steps;
  }

  List<Step> work(OperationKind kind) {
    return steps.stream().filter(s -> kind == OperationKind.Backup ? s.action() instanceof Action.RunBackup
        : s.action() instanceof Action.RunRestoreTest).toList();
  }

  PolicyDraft draft() {
    return draft;
  }

  List<BackupManifest> backups() {
    return backups;
  }

  static BackupSchedule schedule(BackupPolicySpec.Tier tier, String cron, String zone, String window) {
    return new BackupSchedule(tier, cron, zone, window, "30d", false);
  }

  static BackupPolicySpec spec(List<BackupSchedule> schedules, String restoreCron, String restoreZone, String restoreWindow) {
    return new BackupPolicySpec("unit", schedules, new BackupPolicySpec.ObjectStorage("bucket", "prefix/", null, "us-east-1", true, null, null),
        null, new BackupPolicySpec.Encryption(new dev.databaseunit.operator.api.v1alpha1.SecretKeyRef("kek", "kek"), null, null),
        new BackupPolicySpec.PointInTimeRecovery(false, "7d"),
        new BackupPolicySpec.RestoreTest(restoreCron != null, restoreCron, restoreZone, restoreWindow, null, "4h", "24h", null), null, false);
  }
}
