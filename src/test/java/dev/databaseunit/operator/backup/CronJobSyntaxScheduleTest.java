package dev.databaseunit.operator.backup;

import static dev.databaseunit.operator.backup.PolicySimulation.schedule;
import static dev.databaseunit.operator.backup.PolicySimulation.spec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.databaseunit.operator.api.v1alpha1.ApiDurations;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Tier;
import dev.databaseunit.operator.maintenance.WindowSchedule;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The seed's backup strategy written the way a Kubernetes user writes it (CronJob syntax, {@code @monthly}, {@code 12w})
 * schedules exactly what its Quartz form does: the same fires of every tier and of the restore test across the leap year
 * 2028, the same due/missed decision at every hour, in UTC and in two zones with DST changes; the same maintenance windows.
 */
class CronJobSyntaxScheduleTest {
  private static final Instant START = Instant.parse("2028-01-01T00:00:00Z");
  private static final Instant END = Instant.parse("2029-01-01T00:00:00Z");

  /** As a Kubernetes user writes the seed's strategy. CronJob's @monthly is midnight on the 1st (the CRD default is 05:00). */
  static BackupPolicySpec cronJobSeed(String zone) {
    return withRetention(spec(List.of(schedule(Tier.DAILY, "0 3 * * *", zone, "1h"), schedule(Tier.WEEKLY, "0 3 * * 0", zone, "1h")),
        "@monthly", zone, "7d"), "30d", "12w");
  }

  static BackupPolicySpec quartzSeed(String zone) {
    return withRetention(spec(List.of(schedule(Tier.DAILY, "0 0 3 * * ?", zone, "1h"), schedule(Tier.WEEKLY, "0 0 3 ? * SUN", zone, "1h")),
        "0 0 0 1 * ?", zone, "7d"), "30d", "84d");
  }

  @ParameterizedTest
  @ValueSource(strings = {"UTC", "Europe/Berlin", "America/New_York"})
  void theSeedInCronJobSyntaxFiresWhenItsQuartzFormDoes(String zone) {
    var cronJob = cronJobSeed(zone);
    var quartz = quartzSeed(zone);
    for (int i = 0; i < 2; i++) {
      var a = cronJob.schedules().get(i);
      var b = quartz.schedules().get(i);
      assertSameFires(a.tier() + " in " + zone, FireSchedule.of(a.cron(), zone, Duration.ofHours(1)),
          FireSchedule.of(b.cron(), zone, Duration.ofHours(1)));
      assertThat(ApiDurations.parse(a.retention())).isEqualTo(ApiDurations.parse(b.retention()));
    }
    assertSameFires("restore test in " + zone, FireSchedule.of(cronJob.restoreTest().cron(), zone, Duration.ofDays(7)),
        FireSchedule.of(quartz.restoreTest().cron(), zone, Duration.ofDays(7)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"UTC", "Europe/Berlin", "America/New_York"})
  void aMaintenanceWindowInCronJobSyntaxOpensWhenItsQuartzFormDoes(String zone) throws Exception {
    var cronJob = WindowSchedule.parse("30 2 * * 0", zone, Duration.ofHours(2), START);
    var quartz = WindowSchedule.parse("0 30 2 ? * SUN", zone, Duration.ofHours(2), START);
    for (Instant t = START; t.isBefore(END); t = t.plus(Duration.ofMinutes(30))) {
      assertThat(cronJob.windowAt(t)).as("window at %s", t).isEqualTo(quartz.windowAt(t));
      assertThat(cronJob.nextStartAfter(t)).as("next start after %s", t).isEqualTo(quartz.nextStartAfter(t));
    }
  }

  private static void assertSameFires(String what, FireSchedule a, FireSchedule b) {
    assertThat(fires(a)).as(what).isNotEmpty().isEqualTo(fires(b));
    // The decision the planner takes, asked at every hour with the last fire handled a day, a week or a month before.
    for (Instant now = START; now.isBefore(END); now = now.plus(Duration.ofHours(1))) {
      for (Duration back : List.of(Duration.ofDays(1), Duration.ofDays(7), Duration.ofDays(31))) {
        assertThat(a.decide(now.minus(back), now)).as("%s at %s", what, now).isEqualTo(b.decide(now.minus(back), now));
      }
    }
  }

  private static List<Instant> fires(FireSchedule schedule) {
    List<Instant> fires = new ArrayList<>();
    for (Instant t = schedule.next(START.minusSeconds(1)); t != null && t.isBefore(END); t = schedule.next(t)) {
      fires.add(t);
    }
    return fires;
  }

  private static BackupPolicySpec withRetention(BackupPolicySpec spec, String daily, String weekly) {
    UnaryOperator<BackupPolicySpec.BackupSchedule> retention = s -> new BackupPolicySpec.BackupSchedule(s.tier(), s.cron(),
        s.timeZone(), s.window(), s.tier() == Tier.DAILY ? daily : weekly, s.copyToSecondary());
    return new BackupPolicySpec(spec.databaseUnit(), spec.schedules().stream().map(retention).toList(), spec.storage(),
        spec.secondaryStorage(), spec.encryption(), spec.pointInTimeRecovery(), spec.restoreTest(), spec.logicalDump(), spec.suspend());
  }
}
