package dev.databaseunit.operator.backup;

import dev.databaseunit.operator.api.v1alpha1.ApiDurations;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class FireScheduleTest {
  private final FireSchedule daily = new FireSchedule("0 0 3 * * ?", "UTC", Duration.ofHours(1));

  @Test
  void aFireIsDueFromItsTimeUntilTheEndOfItsWindow() {
    Instant yesterday = Instant.parse("2026-11-24T03:00:00Z");
    assertThat(daily.decide(yesterday, Instant.parse("2026-11-25T02:59:59Z")))
        .isEqualTo(new FireSchedule.Decision(null, List.of(), Instant.parse("2026-11-25T03:00:00Z")));
    assertThat(daily.decide(yesterday, Instant.parse("2026-11-25T03:00:00Z")).due()).isEqualTo("2026-11-25T03:00:00Z");
    assertThat(daily.decide(yesterday, Instant.parse("2026-11-25T03:59:59Z")).due()).isEqualTo("2026-11-25T03:00:00Z");
    var late = daily.decide(yesterday, Instant.parse("2026-11-25T04:00:00Z"));
    assertThat(late).isEqualTo(new FireSchedule.Decision(null, List.of(Instant.parse("2026-11-25T03:00:00Z")),
        Instant.parse("2026-11-26T03:00:00Z")));
  }

  @Test
  void afterDaysDownTheLatestFireRunsIfInsideItsWindowAndTheOthersAreMissed() {
    var decision = daily.decide(Instant.parse("2026-11-20T03:00:00Z"), Instant.parse("2026-11-25T03:20:00Z"));
    assertThat(decision.due()).isEqualTo("2026-11-25T03:00:00Z");
    assertThat(decision.missed()).extracting(Instant::toString)
        .containsExactly("2026-11-21T03:00:00Z", "2026-11-22T03:00:00Z", "2026-11-23T03:00:00Z", "2026-11-24T03:00:00Z");
    assertThat(decision.lastMissed()).isEqualTo("2026-11-24T03:00:00Z");
  }

  /**
   * The operator's loop over many days with random restarts (downtime) and failed attempts: state is only the
   * persisted "last handled fire", like the CR status. Every fire is run at most once, run when the operator was
   * up at some point inside its window, and otherwise reported missed exactly once.
   */
  @Test
  void acrossRestartsNoFireIsSkippedOrDoubled() {
    var hourly = new FireSchedule("0 15 * * * ?", "Europe/Berlin", Duration.ofMinutes(20));
    for (long seed = 1; seed <= 20; seed++) {
      var random = new Random(seed);
      Instant start = Instant.parse("2026-03-27T00:00:00Z");
      Instant end = start.plus(Duration.ofDays(4));
      Instant lastHandled = start;
      Map<Instant, Integer> runs = new HashMap<>();
      Map<Instant, Integer> missed = new HashMap<>();
      List<Instant> upTicks = new ArrayList<>();
      boolean up = true;
      for (Instant now = start; now.isBefore(end); now = now.plus(Duration.ofMinutes(1 + random.nextInt(7)))) {
        if (random.nextInt(40) == 0) {
          up = !up;
        }
        if (!up) {
          continue;
        }
        upTicks.add(now);
        var decision = hourly.decide(lastHandled, now);
        decision.missed().forEach(f -> missed.merge(f, 1, Integer::sum));
        if (decision.lastMissed() != null) {
          lastHandled = decision.lastMissed();
        }
        if (decision.due() != null && random.nextInt(4) != 0) {
          runs.merge(decision.due(), 1, Integer::sum);
          lastHandled = decision.due();
        }
        // else: the backup failed or the operator died mid-backup; the fire stays unhandled and is retried.
      }
      // Fires whose window ended before the last tick the operator was up; later ones are still pending.
      Instant settled = upTicks.getLast().minus(Duration.ofMinutes(20));
      for (Instant fire = hourly.next(start); fire.isBefore(settled); fire = hourly.next(fire)) {
        int r = runs.getOrDefault(fire, 0);
        int m = missed.getOrDefault(fire, 0);
        assertThat(r + m).as("seed %d fire %s runs %d missed %d", seed, fire, r, m).isEqualTo(1);
        Instant f = fire;
        long ticksInWindow = upTicks.stream().filter(t -> !t.isBefore(f) && t.isBefore(f.plus(Duration.ofMinutes(20)))).count();
        if (ticksInWindow == 0) {
          assertThat(m).as("seed %d fire %s: operator down for the whole window", seed, fire).isEqualTo(1);
        }
      }
    }
  }

  @Test
  void daylightSavingChangesNeitherDoubleNorDropADailyBackup() {
    var berlin = new FireSchedule("0 30 2 * * ?", "Europe/Berlin", Duration.ofHours(1));
    ZoneId zone = ZoneId.of("Europe/Berlin");
    Map<LocalDate, Integer> perDay = new TreeMap<>();
    for (Instant t = berlin.next(Instant.parse("2025-12-31T23:00:00Z")); t.isBefore(Instant.parse("2026-12-31T23:00:00Z"));
        t = berlin.next(t)) {
      perDay.merge(t.atZone(zone).toLocalDate(), 1, Integer::sum);
    }
    // 2026-03-29 has no 02:30 in Berlin (02:00 jumps to 03:00) and 2026-10-25 has it twice.
    assertThat(perDay.get(LocalDate.parse("2026-10-25"))).isEqualTo(1);
    assertThat(perDay.values()).allMatch(n -> n == 1);
    assertThat(perDay).hasSize(365);
    // The skipped 02:30 runs right after the jump.
    assertThat(berlin.next(Instant.parse("2026-03-28T23:00:00Z"))).isEqualTo("2026-03-29T01:30:00Z");
    assertThat(berlin.next(Instant.parse("2026-03-29T01:30:00Z"))).isEqualTo("2026-03-30T00:30:00Z");
  }

  @Test
  void aWeeklyFireInTheRepeatedNewYorkHourRunsOnceAtItsFirstOccurrence() {
    var weekly = new FireSchedule("0 30 1 ? * SUN", "America/New_York", Duration.ofHours(2));
    // 2026-11-01 01:30 happens twice in New York (EDT, then EST an hour later): only the first is a fire.
    Instant first = Instant.parse("2026-11-01T05:30:00Z");
    var decision = weekly.decide(Instant.parse("2026-10-25T05:30:00Z"), first.plus(Duration.ofMinutes(90)));
    assertThat(decision.due()).isEqualTo(first);
    assertThat(weekly.decide(first, first.plus(Duration.ofMinutes(90))).due()).isNull();
    assertThat(weekly.next(first)).isEqualTo("2026-11-08T06:30:00Z");
  }

  @Test
  void durationsAndCronAreValidated() {
    assertThat(ApiDurations.parse("30d")).isEqualTo(Duration.ofDays(30));
    assertThat(ApiDurations.parse("90m")).isEqualTo(Duration.ofMinutes(90));
    assertThat(ApiDurations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThatThrownBy(() -> ApiDurations.parse("1y")).hasMessageContaining("not a duration");
    assertThatThrownBy(() -> new FireSchedule("0 0 25 * * ?", "UTC", Duration.ofHours(1))).hasMessageContaining("is not a valid cron");
  }
}
