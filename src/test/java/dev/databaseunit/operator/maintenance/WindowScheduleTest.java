package dev.databaseunit.operator.maintenance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.databaseunit.operator.maintenance.WindowSchedule.InvalidSchedule;
import dev.databaseunit.operator.maintenance.WindowSchedule.Window;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WindowScheduleTest {
  private static final Instant SATURDAY_NOON = Instant.parse("2026-11-28T12:00:00Z");
  private static final String SUNDAY_2AM = "0 0 2 ? * SUN";

  private static WindowSchedule schedule(String cron, String zone, Duration length) throws InvalidSchedule {
    return WindowSchedule.parse(cron, zone, length, SATURDAY_NOON);
  }

  @Test
  void insideTheWindowFromStartUntilJustBeforeTheEnd() throws Exception {
    var s = schedule(SUNDAY_2AM, "UTC", Duration.ofHours(2));
    Instant start = Instant.parse("2026-11-29T02:00:00Z");
    var expected = Optional.of(new Window(start, start.plus(Duration.ofHours(2))));
    assertThat(s.windowAt(start)).isEqualTo(expected);
    assertThat(s.windowAt(start.plusSeconds(3600))).isEqualTo(expected);
    assertThat(s.windowAt(start.plus(Duration.ofHours(2)).minusMillis(1))).isEqualTo(expected);
    assertThat(s.windowAt(start.plus(Duration.ofHours(2)))).isEmpty();
    assertThat(s.windowAt(start.minusMillis(1))).isEmpty();
    assertThat(s.windowAt(SATURDAY_NOON)).isEmpty();
  }

  @Test
  void nextStartIsStrictlyAfterTheGivenInstant() throws Exception {
    var s = schedule(SUNDAY_2AM, "UTC", Duration.ofHours(2));
    Instant start = Instant.parse("2026-11-29T02:00:00Z");
    assertThat(s.nextStartAfter(SATURDAY_NOON)).contains(start);
    assertThat(s.nextStartAfter(start)).contains(start.plus(Duration.ofDays(7)));
  }

  @Test
  void theTimeZoneMovesTheWindow() throws Exception {
    var berlin = schedule(SUNDAY_2AM, "Europe/Berlin", Duration.ofHours(1));
    // 02:00 in Berlin in November (CET, UTC+1) is 01:00 UTC.
    assertThat(berlin.nextStartAfter(SATURDAY_NOON)).contains(Instant.parse("2026-11-29T01:00:00Z"));
    assertThat(berlin.windowAt(Instant.parse("2026-11-29T01:30:00Z"))).isPresent();
    assertThat(berlin.windowAt(Instant.parse("2026-11-29T02:30:00Z"))).isEmpty();
  }

  @Test
  void aWindowLongerThanThePeriodIsTheLatestStart() throws Exception {
    // Every 10 minutes, 25 minutes long: windows overlap; the newest start is the one that counts.
    var s = schedule("0 0/10 * * * ?", "UTC", Duration.ofMinutes(25));
    assertThat(s.windowAt(Instant.parse("2026-11-28T12:34:00Z")))
        .contains(new Window(Instant.parse("2026-11-28T12:30:00Z"), Instant.parse("2026-11-28T12:55:00Z")));
  }

  @Test
  void cronsThatNeverFireAreRejected() {
    assertThatThrownBy(() -> schedule("0 0 0 30 2 ?", "UTC", Duration.ofHours(1)))
        .isInstanceOf(InvalidSchedule.class).hasMessageContaining("never fires");
    assertThatThrownBy(() -> schedule("0 0 0 1 1 ? 2001", "UTC", Duration.ofHours(1)))
        .isInstanceOf(InvalidSchedule.class).hasMessageContaining("never fires");
  }

  @Test
  void malformedCronUnknownZoneAndEmptyLengthAreRejected() {
    assertThatThrownBy(() -> schedule("0 0 25 * * ?", "UTC", Duration.ofHours(1)))
        .isInstanceOf(InvalidSchedule.class).hasMessageContaining("not a valid cron");
    assertThatThrownBy(() -> schedule(SUNDAY_2AM, "Mars/Olympus_Mons", Duration.ofHours(1)))
        .isInstanceOf(InvalidSchedule.class).hasMessageContaining("time zone 'Mars/Olympus_Mons' is unknown");
    assertThatThrownBy(() -> schedule(SUNDAY_2AM, "UTC", Duration.ZERO))
        .isInstanceOf(InvalidSchedule.class).hasMessageContaining("positive");
  }

  /** windowAt agrees with a brute-force scan of every minute for random minute-granular crons and lengths. */
  @Test
  void windowAtAgreesWithBruteForce() throws Exception {
    var random = new Random(8);
    String[] zones = {"UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"};
    for (int round = 0; round < 200; round++) {
      int every = 1 + random.nextInt(90);
      int hour = random.nextInt(24);
      String cron = random.nextBoolean() ? "0 0/" + Math.min(every, 59) + " * * * ?" : "0 " + random.nextInt(60) + " " + hour + " * * ?";
      String zone = zones[random.nextInt(zones.length)];
      Duration length = Duration.ofMinutes(1 + random.nextInt(180));
      var s = schedule(cron, zone, length);
      Instant now = SATURDAY_NOON.plusSeconds(60L * random.nextInt(60 * 24 * 3) + random.nextInt(60));
      assertThat(s.windowAt(now)).as("%s %s %s at %s", cron, zone, length, now).isEqualTo(bruteForce(cron, zone, length, now));
    }
  }

  private static Optional<Window> bruteForce(String cron, String zone, Duration length, Instant now) throws Exception {
    var expression = new org.quartz.CronExpression(cron);
    expression.setTimeZone(java.util.TimeZone.getTimeZone(ZoneId.of(zone)));
    Instant latest = null;
    // Walk minute starts backwards over the window length: the newest satisfied start covers now.
    Instant minute = ZonedDateTime.ofInstant(now, ZoneId.of("UTC")).withSecond(0).withNano(0).toInstant();
    for (Instant t = minute; t.isAfter(now.minus(length)); t = t.minusSeconds(60)) {
      if (expression.isSatisfiedBy(java.util.Date.from(t))) {
        latest = t;
        break;
      }
    }
    return Optional.ofNullable(latest).map(start -> new Window(start, start.plus(length)));
  }

  /**
   * Found by the year-long test: Quartz evaluated in Berlin returned a start in the repeated autumn hour that its own
   * window search did not find again, so the window of that night never ran. Starts now follow cron-daemon rules.
   */
  @Test
  void windowsOnDstNightsOpenOnceAtTheFirstOccurrenceOrRightAfterTheGap() throws Exception {
    var autumn = schedule(SUNDAY_2AM, "Europe/Berlin", Duration.ofHours(2));
    Instant firstTwoAm = Instant.parse("2028-10-29T00:00:00Z"); // 02:00 CEST; 02:00 CET follows an hour later
    assertThat(autumn.nextStartAfter(Instant.parse("2028-10-28T12:00:00Z"))).contains(firstTwoAm);
    assertThat(autumn.windowAt(firstTwoAm.plusSeconds(1))).contains(new Window(firstTwoAm, firstTwoAm.plus(Duration.ofHours(2))));
    assertThat(autumn.nextStartAfter(firstTwoAm)).as("the repeated hour does not open a second window")
        .contains(Instant.parse("2028-11-05T01:00:00Z"));

    var spring = schedule("0 30 2 ? * SUN", "Europe/Berlin", Duration.ofHours(1));
    Instant afterTheJump = Instant.parse("2028-03-26T01:30:00Z"); // 02:30 does not exist: 03:30 CEST
    assertThat(spring.nextStartAfter(Instant.parse("2028-03-25T12:00:00Z"))).contains(afterTheJump);
    assertThat(spring.windowAt(afterTheJump.plusSeconds(60))).isPresent();
  }
}
