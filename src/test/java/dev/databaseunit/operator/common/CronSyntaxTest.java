package dev.databaseunit.operator.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.text.ParseException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CronSyntaxTest {

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "0 3 * * *        | 0 0 3 * * ?",
      "0 3 * * 0        | 0 0 3 ? * 1",
      "0 3 * * 7        | 0 0 3 ? * 1",
      "30 2 * * 1-5     | 0 30 2 ? * 2,3,4,5,6",
      "0 0 * * 5-7      | 0 0 0 ? * 1,6,7",
      "0 0 * * */2      | 0 0 0 ? * 1,3,5,7",
      "0 0 * * 1/2      | 0 0 0 ? * 2,4,6",
      "0 0 * * MON,fri  | 0 0 0 ? * 2,6",
      "0 0 * * 6-7      | 0 0 0 ? * 1,7",
      "*/15 * 1 * *     | 0 */15 * 1 * ?",
      "0 4 1,15 JAN-MAR * | 0 0 4 1,15 JAN-MAR ?",
      "@hourly          | 0 0 * * * ?",
      "@daily           | 0 0 0 * * ?",
      "@midnight        | 0 0 0 * * ?",
      "@weekly          | 0 0 0 ? * SUN",
      "@monthly         | 0 0 0 1 * ?",
      "@yearly          | 0 0 0 1 1 ?",
      "@annually        | 0 0 0 1 1 ?",
      "0 0 3 * * ?      | 0 0 3 * * ?",
      "0 0 3 ? * SUN 2028 | 0 0 3 ? * SUN 2028",
  })
  void cronJobSchedulesBecomeTheQuartzCronOfTheSameInstantsAndQuartzPassesThrough(String schedule, String quartz) throws Exception {
    assertThat(CronSyntax.toQuartz(schedule)).isEqualTo(quartz);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
      "0 3 1 * 1        | restricts both day-of-month (1) and day-of-week (1)",
      "0 3 */2 * MON    | restricts both day-of-month (*/2) and day-of-week (MON)",
      "0 3 ? * *        | day-of-month '?' is not CronJob syntax",
      "0 3 L * *        | ?, L, W and # need a 6-7 field Quartz cron",
      "0 3 * * 5L       | day-of-week '5L' is not CronJob syntax",
      "0 3 * * 1#2      | day-of-week '1#2' is not CronJob syntax",
      "0 3 * * 8        | day-of-week '8' must be a number from 0 to 7 (0 and 7 are Sunday)",
      "0 3 * * FUN      | day-of-week 'FUN' must be a number from 0 to 7",
      "0 3 * * 5-1      | day-of-week range '5-1' runs backwards",
      "0 3 * * SAT-SUN  | day-of-week range 'SAT-SUN' runs backwards",
      "0 3 * * 1-2-3    | is not a range such as 1-5",
      "0 3 * * */0      | step '0' must be a number from 1 to 7",
      "@every 5m        | '@every 5m' is not a schedule macro",
      "@reboot          | '@reboot' is not a schedule macro",
      "3 * *            | '3 * *' has 3 fields",
      "\"\"               | has 0 fields",
  })
  void whatNeitherSyntaxSaysIsRefusedWithTheReasonAndBothForms(String schedule, String reason) {
    assertThatThrownBy(() -> CronSyntax.toQuartz(schedule)).isInstanceOf(ParseException.class).hasMessageContaining(reason);
  }

  @ParameterizedTest
  @ValueSource(strings = {"@every 5m", "3 * *", "@reboot"})
  void aWrongShapeNamesBothSyntaxesWithAnExample(String schedule) {
    assertThatThrownBy(() -> CronSyntax.toQuartz(schedule)).hasMessageEndingWith(CronSyntax.FORMS)
        .hasMessageContaining("\"0 3 * * *\"").hasMessageContaining("\"0 0 3 * * ?\"");
  }

  @ParameterizedTest
  @ValueSource(strings = {"60 3 * * *", "0 24 * * *", "0 3 32 * *", "0 3 * 13 *"})
  void anOutOfRangeValueIsRefusedByQuartzWhenParsed(String schedule) {
    assertThatThrownBy(() -> WallClockCron.parse(schedule, ZoneOffset.UTC)).isInstanceOf(ParseException.class);
  }

  /**
   * Against an independent reading of CronJob syntax (each minute of the leap year 2028 matched field by field, the way
   * Vixie cron and the CronJob controller do): the translated schedule fires at exactly those minutes, no more, no fewer.
   */
  @ParameterizedTest
  @ValueSource(strings = {"0 3 * * *", "0 3 * * 0", "0 3 * * 7", "15 */6 * * 1-5", "0 0 29 2 *", "5,35 1-3 1,15,31 * *",
      "0 12 * JAN,jul 6", "0 0 * * */3", "0 22 * * 5/1", "*/20 4 * * SUN,WED", "0 0 1 */2 *", "@hourly", "@weekly", "@monthly",
      "@yearly"})
  void translatedSchedulesFireAtTheMinutesCronJobWouldAcrossAYear(String schedule) throws Exception {
    var cron = WallClockCron.parse(schedule, ZoneOffset.UTC);
    Instant start = Instant.parse("2028-01-01T00:00:00Z");
    Instant end = Instant.parse("2029-01-01T00:00:00Z");
    List<Instant> fired = new ArrayList<>();
    for (Instant t = cron.next(start.minusSeconds(1)); t != null && t.isBefore(end); t = cron.next(t)) {
      fired.add(t);
    }
    var reading = CronJobReading.of(schedule);
    List<Instant> expected = new ArrayList<>();
    for (Instant t = start; t.isBefore(end); t = t.plus(1, ChronoUnit.MINUTES)) {
      if (reading.matches(LocalDateTime.ofInstant(t, ZoneOffset.UTC))) {
        expected.add(t);
      }
    }
    assertThat(expected).as("the schedule fires in 2028").isNotEmpty();
    assertThat(fired).isEqualTo(expected);
  }

  /** A literal reading of a 5-field CronJob schedule, written for this test only (macros by their CronJob definition). */
  private record CronJobReading(Set<Integer> minutes, Set<Integer> hours, Set<Integer> days, Set<Integer> months, Set<Integer> weekdays) {
    private static final List<String> MONTHS = List.of("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC");
    private static final List<String> DAYS = List.of("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT");

    static CronJobReading of(String schedule) {
      String text = switch (schedule) {
        case "@hourly" -> "0 * * * *";
        case "@weekly" -> "0 0 * * 0";
        case "@monthly" -> "0 0 1 * *";
        case "@yearly" -> "0 0 1 1 *";
        default -> schedule;
      };
      String[] f = text.split(" ");
      var weekdays = new TreeSet<Integer>();
      values(f[4], 0, 7, DAYS, 0).forEach(d -> weekdays.add(d % 7));
      return new CronJobReading(values(f[0], 0, 59, List.of(), 0), values(f[1], 0, 23, List.of(), 0),
          values(f[2], 1, 31, List.of(), 1), values(f[3], 1, 12, MONTHS, 1), weekdays);
    }

    private static Set<Integer> values(String field, int min, int max, List<String> names, int firstName) {
      var set = new TreeSet<Integer>();
      for (String part : field.split(",")) {
        String[] rangeAndStep = part.split("/");
        int step = rangeAndStep.length > 1 ? Integer.parseInt(rangeAndStep[1]) : 1;
        String range = rangeAndStep[0];
        int lo;
        int hi;
        if (range.equals("*")) {
          lo = min;
          hi = max == 7 ? 6 : max;
        } else if (range.contains("-")) {
          lo = value(range.split("-")[0], names, firstName);
          hi = value(range.split("-")[1], names, firstName);
        } else {
          lo = value(range, names, firstName);
          hi = rangeAndStep.length > 1 ? (max == 7 ? 6 : max) : lo;
        }
        for (int v = lo; v <= hi; v += step) {
          set.add(v);
        }
      }
      return set;
    }

    private static int value(String text, List<String> names, int firstName) {
      int i = names.indexOf(text.toUpperCase(Locale.ROOT));
      return i >= 0 ? i + firstName : Integer.parseInt(text);
    }

    boolean matches(LocalDateTime t) {
      boolean anyDay = days.size() == 31;
      boolean anyWeekday = weekdays.size() == 7;
      boolean dayOfMonth = days.contains(t.getDayOfMonth());
      boolean dayOfWeek = weekdays.contains(t.getDayOfWeek().getValue() % 7);
      // Vixie cron: when both day fields are restricted, either may match (our schedules never restrict both).
      boolean day = anyDay || anyWeekday ? dayOfMonth && dayOfWeek : dayOfMonth || dayOfWeek;
      return minutes.contains(t.getMinute()) && hours.contains(t.getHour()) && months.contains(t.getMonthValue()) && day;
    }
  }
}
