package dev.databaseunit.operator.common;

import dev.databaseunit.operator.api.v1alpha1.ApiPatterns;
import java.text.ParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The two cron syntaxes every schedule of the API accepts, reduced to one: a Kubernetes CronJob schedule (5 fields,
 * minute hour day-of-month month day-of-week, or a macro such as {@code @daily}) is translated to the Quartz cron
 * (seconds first, 6-7 fields) that fires at the same instants; a Quartz cron passes through unchanged.
 *
 * <p>Where the two differ: CronJob counts days of the week 0-7 with 0 and 7 Sunday, Quartz 1-7 with 1 Sunday (numbers are
 * mapped, names mean the same in both); {@code ?}, {@code L}, {@code W} and {@code #} are Quartz's own and refused in a
 * 5-field schedule. A CronJob schedule restricting both day-of-month and day-of-week fires when <em>either</em> matches
 * (Vixie cron); Quartz cannot say that, so such a schedule is refused rather than given another meaning.
 */
public final class CronSyntax {
  /** What every error ends with: both accepted forms, each with an example. */
  public static final String FORMS = "write " + ApiPatterns.CRON_FORMS;

  /** CronJob's macros (robfig/cron, as the CronJob controller reads them), as Quartz crons. */
  private static final Map<String, String> MACROS = Map.of(
      "@yearly", "0 0 0 1 1 ?",
      "@annually", "0 0 0 1 1 ?",
      "@monthly", "0 0 0 1 * ?",
      "@weekly", "0 0 0 ? * SUN",
      "@daily", "0 0 0 * * ?",
      "@midnight", "0 0 0 * * ?",
      "@hourly", "0 0 * * * ?");
  private static final List<String> DAY_NAMES = List.of("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT");

  private CronSyntax() {}

  /**
   * The Quartz form of a schedule written in either syntax.
   *
   * @throws ParseException when it is neither, with a message for the person who wrote it
   */
  public static String toQuartz(String schedule) throws ParseException {
    String text = schedule == null ? "" : schedule.strip();
    if (text.startsWith("@")) {
      String quartz = MACROS.get(text);
      if (quartz == null) {
        throw error("'" + text + "' is not a schedule macro (@hourly, @daily, @weekly, @monthly, @yearly); " + FORMS);
      }
      return quartz;
    }
    String[] fields = text.split("\\s+");
    return switch (fields.length) {
      case 5 -> fromCronJob(fields);
      case 6, 7 -> text;
      default -> throw error("'" + text + "' has " + (text.isEmpty() ? 0 : fields.length) + " fields; " + FORMS);
    };
  }

  private static String fromCronJob(String[] f) throws ParseException {
    String minute = f[0];
    String hour = f[1];
    String dayOfMonth = f[2];
    String month = f[3];
    String dayOfWeek = f[4];
    String[] names = {"minute", "hour", "day-of-month", "month", "day-of-week"};
    for (int i = 0; i < f.length; i++) {
      // Letters only as month or day names; ?, L, W and # are Quartz's and mean nothing to a CronJob.
      if (!f[i].matches(i >= 3 ? "([0-9*/,-]|[A-Za-z]{3})+" : "[0-9*/,-]+")) {
        throw error(names[i] + " '" + f[i] + "' is not CronJob syntax (numbers, *, lists a,b, ranges a-b, steps */n"
            + (i >= 3 ? ", names such as JAN or MON" : "") + "); ?, L, W and # need a 6-7 field Quartz cron such as "
            + "\"0 0 3 L * ?\"");
      }
    }
    boolean anyDayOfMonth = dayOfMonth.equals("*");
    boolean anyDayOfWeek = dayOfWeek.equals("*");
    if (!anyDayOfMonth && !anyDayOfWeek) {
      throw error("a 5-field schedule that restricts both day-of-month (" + dayOfMonth + ") and day-of-week (" + dayOfWeek
          + ") fires when either matches; a Quartz cron cannot say that, so restrict only one of them (the other *)");
    }
    return String.join(" ", "0", minute, hour, anyDayOfMonth && !anyDayOfWeek ? "?" : dayOfMonth, month,
        anyDayOfWeek ? "?" : quartzDaysOfWeek(dayOfWeek));
  }

  /** CronJob days of the week (0-7 or SUN-SAT, lists, ranges, steps) as the explicit Quartz list (1-7, 1 = Sunday). */
  private static String quartzDaysOfWeek(String field) throws ParseException {
    var days = new TreeSet<Integer>();
    for (String part : field.split(",", -1)) {
      String range = part;
      int step = 1;
      int slash = part.indexOf('/');
      if (slash >= 0) {
        range = part.substring(0, slash);
        step = number(part.substring(slash + 1), "step", 1, 7);
      }
      int first;
      int last;
      if (range.equals("*")) {
        first = 0;
        last = 6;
      } else if (range.contains("-")) {
        String[] ends = range.split("-", -1);
        if (ends.length != 2) {
          throw error("day-of-week '" + part + "' is not a range such as 1-5");
        }
        first = day(ends[0]);
        last = day(ends[1]);
        if (last < first) {
          throw error("day-of-week range '" + range + "' runs backwards (Sunday is 0: list the days instead, e.g. SAT,SUN or 5,6,0)");
        }
      } else {
        first = day(range);
        last = slash >= 0 ? 6 : first; // "1/2" means 1 to the end of the week, every second day
      }
      for (int d = first; d <= last; d += step) {
        days.add(d % 7 + 1); // 7 (Sunday again) and 0 both become Quartz's 1
      }
    }
    if (days.isEmpty()) {
      throw error("day-of-week '" + field + "' names no day");
    }
    return days.stream().map(String::valueOf).collect(Collectors.joining(","));
  }

  /** A CronJob day of the week: 0-7 (0 and 7 Sunday) or a three-letter name. */
  private static int day(String text) throws ParseException {
    int named = DAY_NAMES.indexOf(text.toUpperCase(Locale.ROOT));
    return named >= 0 ? named : number(text, "day-of-week", 0, 7);
  }

  private static int number(String text, String what, int min, int max) throws ParseException {
    if (!text.matches("[0-9]{1,2}") || Integer.parseInt(text) < min || Integer.parseInt(text) > max) {
      throw error(what + " '" + text + "' must be a number from " + min + " to " + max
          + (what.equals("day-of-week") ? " (0 and 7 are Sunday) or a name such as MON" : ""));
    }
    return Integer.parseInt(text);
  }

  private static ParseException error(String message) {
    return new ParseException(message, 0);
  }
}
