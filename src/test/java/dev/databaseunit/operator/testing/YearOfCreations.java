package dev.databaseunit.operator.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.zone.ZoneOffsetTransition;
import java.util.ArrayList;
import java.util.List;

/**
 * The creation times of the year-long schedule tests: every hour of 2028 (a leap year) in UTC, plus 23:59:59 on Dec 31.
 * That covers the 1st of each month (before and after any fire that day), Feb 29, and the hours around the DST changes in
 * Europe/Berlin and America/New_York; {@link #assertCoversTheHardDays} checks it does.
 */
public final class YearOfCreations {
  public static final Instant START = Instant.parse("2028-01-01T00:00:00Z");
  public static final Instant LAST_SECOND = Instant.parse("2028-12-31T23:59:59Z");

  private YearOfCreations() {}

  public static List<Instant> everyHour() {
    List<Instant> hours = new ArrayList<>();
    for (Instant t = START; t.isBefore(LAST_SECOND); t = t.plus(Duration.ofHours(1))) {
      hours.add(t);
    }
    hours.add(LAST_SECOND);
    return hours;
  }

  public static void assertCoversTheHardDays(List<Instant> creations) {
    for (int month = 1; month <= 12; month++) {
      Instant first = Instant.parse("2028-%02d-01T00:00:00Z".formatted(month));
      assertThat(creations).as("every hour of the 1st of month %d", month)
          .containsAll(List.of(first, first.plus(Duration.ofHours(5)), first.plus(Duration.ofHours(6)), first.plus(Duration.ofHours(23))));
    }
    assertThat(creations).contains(Instant.parse("2028-02-29T00:00:00Z"), Instant.parse("2028-02-29T23:00:00Z"), LAST_SECOND);
    for (String zone : List.of("Europe/Berlin", "America/New_York")) {
      List<ZoneOffsetTransition> transitions = new ArrayList<>();
      var rules = ZoneId.of(zone).getRules();
      for (var t = rules.nextTransition(START); t != null && t.getInstant().isBefore(LAST_SECOND); t = rules.nextTransition(t.getInstant())) {
        transitions.add(t);
      }
      assertThat(transitions).as(zone + " changes to and from DST in 2028").hasSize(2);
      for (var t : transitions) {
        assertThat(creations).as("the hours around " + t).contains(t.getInstant().minus(Duration.ofHours(1)), t.getInstant(),
            t.getInstant().plus(Duration.ofHours(1)));
      }
    }
  }
}
