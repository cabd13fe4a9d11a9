package dev.databaseunit.operator.backup;

import static dev.databaseunit.operator.backup.PolicySimulation.schedule;
import static dev.databaseunit.operator.backup.PolicySimulation.spec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Tier;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus.OperationKind;
import dev.databaseunit.operator.testing.YearOfCreations;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The BackupPolicy and restore-test schedule decisions for a policy created at every hour of a leap year (see
 * {@link YearOfCreations}), each run by the operator's own planner and reducer in simulated time until every schedule has
 * handled its first fire and a day more (at most five weeks): nothing
 * runs for a fire before the creation, every fire after it runs once or is reported, and a policy without backups yet is
 * Ready throughout, never Degraded.
 */
class BackupScheduleYearTest {
  private static final Duration HORIZON = Duration.ofDays(35);

  private static final Map<String, BackupPolicySpec> SPECS = Map.of(
      "seed (UTC, monthly restore tests)", BackupPlannerTest.SEED,
      "seed in CronJob syntax, Berlin: 0 3 * * *, 0 3 * * 0, @monthly restore tests, 12w",
      CronJobSyntaxScheduleTest.cronJobSeed("Europe/Berlin"),
      "Berlin: daily 02:30 (in the spring gap), restore tests on the 1st at 02:30", spec(
          List.of(schedule(Tier.DAILY, "0 30 2 * * ?", "Europe/Berlin", "1h")), "0 30 2 1 * ?", "Europe/Berlin", "7d"),
      "New York: weekly backups, daily restore tests at 01:30 (in the autumn overlap)", spec(
          List.of(schedule(Tier.WEEKLY, "0 30 1 ? * SUN", "America/New_York", "2h")), "0 30 1 * * ?", "America/New_York", "1d"),
      "no backup for a month: backups only on Feb 29, monthly restore tests", spec(
          List.of(schedule(Tier.MONTHLY, "0 0 3 29 2 ?", "UTC", "1h")), "0 0 5 1 * ?", "UTC", "7d"));

  @Test
  void nothingFiresBeforeTheCreationAndAPolicyWithoutBackupsStaysReady() {
    List<Instant> creations = YearOfCreations.everyHour();
    YearOfCreations.assertCoversTheHardDays(creations);
    SPECS.forEach((name, spec) -> creations.parallelStream().forEach(created -> check(name, spec, created)));
  }

  private static void check(String name, BackupPolicySpec spec, Instant created) {
    var run = new PolicySimulation(spec, created).runUntilSettledOr(created.plus(HORIZON));
    String what = name + ", created " + created;
    assertThat(run.draft().scheduledSince).as(what).isEqualTo(created.toString());
    for (var step : run.steps()) {
      if (step.fire() != null) {
        assertThat(step.fire()).as("%s: work at %s for a fire before the creation", what, step.at()).isAfter(created);
        assertThat(step.at()).as(what).isAfterOrEqualTo(step.fire());
      }
      assertThat(step.ready()).as("%s: Ready at %s (%s)", what, step.at(), step.readyReason()).isTrue();
      assertThat(step.degraded()).as(what).isFalse();
      if (run.backups().stream().noneMatch(b -> !b.endTime().isAfter(step.at()))) {
        assertThat(step.readyReason()).as("%s: before the first backup, at %s", what, step.at()).isIn("Reconciled", "RestoreTestWaiting");
      }
    }
    for (var tier : run.draft().tiers.values()) {
      if (tier.lastFireTime != null) {
        assertThat(Instant.parse(tier.lastFireTime)).as(what + ": handled " + tier.tier).isAfter(created);
      }
    }
    if (run.draft().restoreSchedule.lastFireTime != null) {
      assertThat(Instant.parse(run.draft().restoreSchedule.lastFireTime)).as(what + ": restore test handled").isAfter(created);
    }
    // Every backup fire within the horizon ran exactly once (the work always succeeds here): none skipped, none doubled.
    var fires = run.work(OperationKind.Backup).stream()
        .map(s -> ((BackupPlanner.Action.RunBackup) s.action()).schedule().tier() + "@" + s.fire()).toList();
    assertThat(fires).as(what).doesNotHaveDuplicates();
    for (var schedule : spec.schedules()) {
      var expected = new FireSchedule(schedule.cron(), schedule.timeZone(), Duration.ofHours(1));
      for (Instant f = expected.next(created); f != null && f.isBefore(run.steps().getLast().at().minus(Duration.ofHours(2)));
          f = expected.next(f)) {
        assertThat(fires).as("%s: the %s fire at %s ran", what, schedule.tier(), f).contains(schedule.tier() + "@" + f);
      }
    }
    assertThat(run.draft().tiers.values()).allSatisfy(t -> assertThat(t.missedFires).as(what).isZero());
  }
}
