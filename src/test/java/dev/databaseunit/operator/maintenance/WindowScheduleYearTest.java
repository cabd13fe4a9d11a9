package dev.databaseunit.operator.maintenance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindow;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowSpec;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowStatus;
import dev.databaseunit.operator.common.ScheduleStart;
import dev.databaseunit.operator.maintenance.WindowSchedule.Window;
import dev.databaseunit.operator.testing.YearOfCreations;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The MaintenanceWindow schedule decision ({@link MaintenanceWindowReconciler#currentWindow}) for a window created at
 * every hour of a leap year (see {@link YearOfCreations}): a window that was already open when the resource was created
 * never starts a run, and each of the next windows does, from its start to just before its end.
 */
class WindowScheduleYearTest {
  private record Case(String cron, String zone, Duration length) {}

  private static final List<Case> CASES = List.of(
      new Case("0 0 2 ? * SUN", "Europe/Berlin", Duration.ofHours(2)),
      new Case("0 30 1 * * ?", "America/New_York", Duration.ofHours(1)),
      new Case("0 0 0 1 * ?", "UTC", Duration.ofHours(6)),
      new Case("0 0 3 29 2 ?", "UTC", Duration.ofDays(1)));

  @Test
  void aWindowOpenedBeforeTheCreationNeverRunsAndTheNextOnesDo() {
    List<Instant> creations = YearOfCreations.everyHour();
    YearOfCreations.assertCoversTheHardDays(creations);
    for (Case c : CASES) {
      creations.parallelStream().forEach(created -> check(c, created));
    }
  }

  private static void check(Case c, Instant created) {
    WindowSchedule schedule;
    try {
      schedule = WindowSchedule.parse(c.cron(), c.zone(), c.length(), created);
    } catch (WindowSchedule.InvalidSchedule e) {
      throw new AssertionError(e);
    }
    var window = new MaintenanceWindow();
    window.setMetadata(new ObjectMetaBuilder().withName("w").withNamespace("n").withGeneration(1L)
        .withCreationTimestamp(created.toString()).build());
    window.setSpec(new MaintenanceWindowSpec("unit", null, c.cron(), c.zone(), null, false, null, null, null, null, null, false));
    var status = MaintenanceWindowStatus.empty();
    Instant since = ScheduleStart.recordedOr(status.scheduledSince(), created.toString(), created);
    String what = c + ", created " + created;
    assertThat(since).as(what).isEqualTo(created);

    // From the creation until the first window after it, nothing runs, even inside a window that opened before.
    Instant first = schedule.nextStartAfter(created).orElseThrow();
    for (Instant t : List.of(created, created.plusSeconds(1), created.plus(Duration.ofMinutes(30)), first.minusSeconds(1))) {
      if (t.isBefore(first)) {
        assertThat(decide(window, status, schedule, c.length(), since, t)).as("%s, at %s", what, t).isEmpty();
      }
    }
    // The next windows each run, from their start to just before their end.
    Instant start = first;
    for (int i = 0; i < 3 && start != null; i++) {
      var expected = Optional.of(new Window(start, start.plus(c.length())));
      for (Instant t : List.of(start, start.plus(c.length().dividedBy(2)), start.plus(c.length()).minusSeconds(1))) {
        var decided = decide(window, status, schedule, c.length(), since, t);
        assertThat(decided).as("%s, at %s", what, t).isPresent();
        assertThat(decided.get().start()).as(what).isAfter(created);
        if (c.length().compareTo(Duration.ofHours(1)) <= 0 || i == 0) {
          assertThat(decided).as("%s, at %s", what, t).isEqualTo(expected);
        }
      }
      start = schedule.nextStartAfter(start).orElse(null);
    }
  }

  private static Optional<Window> decide(MaintenanceWindow window, MaintenanceWindowStatus status, WindowSchedule schedule,
      Duration length, Instant since, Instant now) {
    return MaintenanceWindowReconciler.currentWindow(window, status, Optional.of(schedule), length, since, now);
  }
}
