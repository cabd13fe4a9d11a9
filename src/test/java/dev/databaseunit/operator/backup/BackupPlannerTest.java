package dev.databaseunit.operator.backup;

import static dev.databaseunit.operator.backup.PolicySimulation.schedule;
import static dev.databaseunit.operator.backup.PolicySimulation.spec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Tier;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus.OperationKind;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus.BackupSource;
import dev.databaseunit.operator.backup.BackupPlanner.Action;
import dev.databaseunit.operator.backup.BackupPlanner.RetryGate;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.status.Conditions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The planner's schedule decisions, the restore test's catch-up rule and "no backup yet is not a failure". */
class BackupPlannerTest {
  /** The seed's strategy as the CRD defaults it: daily and weekly at 03:00 UTC, monthly restore tests at 05:00 on the 1st. */
  static final BackupPolicySpec SEED = spec(List.of(schedule(Tier.DAILY, "0 0 3 * * ?", "UTC", "1h"),
      schedule(Tier.WEEKLY, "0 0 3 ? * SUN", "UTC", "1h")), "0 0 5 1 * ?", "UTC", "7d");

  private static BackupPlanner.Plan plan(BackupPolicySpec spec, Instant created, PolicyDraft draft, Instant now) {
    return BackupPlanner.plan(spec, Map.of(), created.toString(), draft, now, RetryGate.OPEN);
  }

  /** The 1st of a month, 14 hours after the monthly fire: the test waits for next month and the policy is Ready. */
  @Test
  void aFireFromBeforeThePolicyExistedNeverRuns() {
    Instant created = Instant.parse("2026-12-01T19:05:00Z");
    var draft = PolicyDraft.of(null);
    var plan = plan(SEED, created, draft, created.plusSeconds(1));

    assertThat(plan.action()).isInstanceOf(Action.Idle.class);
    assertThat(plan.missedFires()).isZero();
    assertThat(plan.notices()).isEmpty();
    assertThat(draft.scheduledSince).isEqualTo("2026-12-01T19:05:00Z");
    assertThat(draft.restoreSchedule.lastFireTime).isNull();
    assertThat(draft.restoreSchedule.nextFireTime).isEqualTo("2027-01-01T05:00:00Z");
    assertThat(draft.tier(Tier.DAILY).nextFireTime).isEqualTo("2026-12-02T03:00:00Z");
    assertThat(draft.onSchedule).isNull();
    assertThat(BackupReducer.conditions(draft, null, SEED)).contains(
        new Conditions.Desired(Conditions.READY, true, "Reconciled", "Backups are scheduled"));
  }

  @Test
  void aFireCountsOnlyStrictlyAfterTheCreation() {
    var atTheFire = PolicyDraft.of(null);
    assertThat(plan(SEED, Instant.parse("2026-11-25T03:00:00Z"), atTheFire, Instant.parse("2026-11-25T03:00:10Z")).action())
        .as("creationTimestamp has whole seconds: created at 03:00:00 may be after the 03:00:00 fire").isInstanceOf(Action.Idle.class);

    var justBefore = PolicyDraft.of(null);
    var plan = plan(SEED, Instant.parse("2026-11-25T02:59:59Z"), justBefore, Instant.parse("2026-11-25T03:00:10Z"));
    assertThat(plan.action()).isEqualTo(new Action.RunBackup(SEED.schedules().getFirst(), Instant.parse("2026-11-25T03:00:00Z"), null));
  }

  /** An operator whose clock is behind the API server's starts the schedule at its own now, and keeps that start. */
  @Test
  void aCreationAheadOfTheOperatorsClockStartsTheScheduleAtItsNow() {
    var draft = PolicyDraft.of(null);
    plan(SEED, Instant.parse("2026-11-25T03:10:00Z"), draft, Instant.parse("2026-11-25T02:59:00Z"));
    assertThat(draft.scheduledSince).isEqualTo("2026-11-25T02:59:00Z");
    var plan = plan(SEED, Instant.parse("2026-11-25T03:10:00Z"), draft, Instant.parse("2026-11-25T03:00:30Z"));
    assertThat(plan.action()).isInstanceOf(Action.RunBackup.class);
  }

  /** Weekly backups, daily restore tests: the tests before the first backup wait, Ready, and the first backup is tested at once. */
  @Test
  void noBackupYetIsNotAFailureAndTheWaitingTestRunsOnceTheFirstBackupExists() {
    var spec = spec(List.of(schedule(Tier.WEEKLY, "0 0 3 ? * SUN", "UTC", "1h")), "0 0 5 * * ?", "UTC", "7d");
    Instant created = Instant.parse("2026-11-23T12:00:00Z"); // a Monday
    var run = new PolicySimulation(spec, created).runUntil(Instant.parse("2026-12-01T00:00:00Z"));

    var tests = run.work(OperationKind.RestoreTest);
    assertThat(tests.getFirst().fire()).isEqualTo("2026-11-24T05:00:00Z");
    assertThat(run.steps()).allSatisfy(s -> {
      assertThat(s.ready()).as("Ready at %s", s.at()).isTrue();
      assertThat(s.degraded()).isFalse();
    });
    assertThat(run.steps().stream().filter(s -> s.at().isAfter(Instant.parse("2026-11-24T05:00:00Z"))
        && s.at().isBefore(Instant.parse("2026-11-29T03:00:00Z")))).allMatch(s -> "RestoreTestWaiting".equals(s.readyReason()));
    // The first backup (Sunday 03:00) is tested right after it, for the fire that waited; after that the test is on time.
    var backup = run.work(OperationKind.Backup).getFirst();
    assertThat(backup.fire()).isEqualTo("2026-11-29T03:00:00Z");
    var firstTested = tests.stream().filter(t -> t.at().isAfter(backup.at())).findFirst().orElseThrow();
    assertThat(firstTested.at()).isEqualTo(backup.at().plus(PolicySimulation.WORK_TAKES));
    assertThat(firstTested.fire()).as("the newest fire that waited").isEqualTo("2026-11-28T05:00:00Z");
    assertThat(run.draft().lastRestoreTest.outcome()).isEqualTo("Passed");
    assertThat(run.draft().restoreTestWaitingFor).isNull();
    assertThat(run.draft().restoreSchedule.missedFires).as("fires with nothing to test are not missed").isZero();
  }

  @Test
  void aMissedMonthlyRestoreTestRunsOnceWithinItsWindowAndIsMissedAfter() {
    Instant created = Instant.parse("2026-10-20T00:00:00Z");
    Instant fire = Instant.parse("2026-11-01T05:00:00Z");
    var draft = PolicyDraft.of(null);
    plan(SEED, created, draft, created);

    // The operator was down from before the fire until three days after it: the test runs now, once.
    var late = plan(SEED, created, draft, fire.plus(Duration.ofDays(3)));
    assertThat(late.action()).isEqualTo(new Action.RunRestoreTest(fire, null, BackupSource.Primary));

    // Down for longer than the window (7 days): recorded as missed, and nothing runs.
    var tooLate = PolicyDraft.of(null);
    plan(SEED, created, tooLate, created);
    var missed = plan(SEED, created, tooLate, fire.plus(Duration.ofDays(8)));
    assertThat(missed.action()).isInstanceOf(Action.Idle.class);
    assertThat(tooLate.restoreSchedule.lastFireTime).isEqualTo(fire.toString());
    assertThat(tooLate.restoreSchedule.missedFires).isEqualTo(1);
    assertThat(missed.notices()).extracting(BackupPlanner.Notice::message).anyMatch(m -> m.startsWith("1 restore test fire(s) missed"));
  }

  @Test
  void afterALongOutageOnlyTheNewestRestoreTestFireRuns() {
    var spec = spec(List.of(), "0 0 5 * * ?", "UTC", "7d");
    Instant created = Instant.parse("2026-11-01T00:00:00Z");
    var draft = PolicyDraft.of(null);
    draft.restoreSchedule.lastFireTime = "2026-11-01T05:00:00Z";
    var plan = plan(spec, created, draft, Instant.parse("2026-11-05T06:00:00Z"));
    assertThat(plan.action()).isEqualTo(new Action.RunRestoreTest(Instant.parse("2026-11-05T05:00:00Z"), null, BackupSource.Primary));
    assertThat(plan.missedFires()).isEqualTo(3);
  }

  @Test
  void anOnDemandRestoreTestWithNothingToTestIsAnsweredWithoutAFailure() {
    var draft = PolicyDraft.of(null);
    draft.inProgress = BackupPlanner.operation(new Action.RunRestoreTest(null, "t1", BackupSource.Primary), Instant.parse("2026-11-01T00:00:00Z"));
    var reduction = BackupReducer.reduce(draft, new BackupOutcome.NothingToTest("s3://b/p/", null, "t1"), SEED,
        Instant.parse("2026-11-01T00:00:05Z"));
    assertThat(draft.lastOnDemandRestoreTest.outcome()).isEqualTo("NotRun");
    assertThat(draft.lastOnDemandRestoreTest.message()).contains("no backup to test");
    assertThat(draft.workFailure).isNull();
    assertThat(reduction.notices()).extracting(BackupPlanner.Notice::reason).containsExactly(EventReason.RestoreTestWaiting);
    assertThat(BackupReducer.conditions(draft, null, SEED)).filteredOn(c -> c.type().equals(Conditions.READY))
        .singleElement().matches(Conditions.Desired::status);
  }

  @Test
  void aFailedAttemptWaitsForTheRetryGateAndWakesWhenItOpens() {
    Instant created = Instant.parse("2026-11-24T00:00:00Z");
    Instant now = Instant.parse("2026-11-25T03:00:10Z");
    var draft = PolicyDraft.of(null);
    var plan = BackupPlanner.plan(SEED, Map.of(), created.toString(), draft, now,
        key -> key.equals("DAILY") ? now.plusSeconds(50) : null);
    assertThat(plan.action()).isInstanceOf(Action.Idle.class);
    assertThat(plan.sleep()).isEqualTo(Duration.ofSeconds(50));
  }
}
