package dev.databaseunit.operator.vector;

import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Optional;
import java.util.TimeZone;
import org.quartz.CronExpression;

/**
 * When to ANALYZE a table, from a Quartz cron (in UTC) and the last run recorded in status. The last run lives
 * in the status, not in memory, so an operator restart neither skips a due run nor repeats one.
 */
public record AnalyzeSchedule(CronExpression cron) {

  /** @throws IllegalArgumentException for an expression Quartz cannot parse, with Quartz's reason */
  public static AnalyzeSchedule parse(String expression) {
    try {
      var cron = new CronExpression(expression);
      cron.setTimeZone(TimeZone.getTimeZone("UTC"));
      return new AnalyzeSchedule(cron);
    } catch (ParseException e) {
      throw new IllegalArgumentException("analyzeSchedule '" + expression + "' is not a valid Quartz cron: " + e.getMessage(), e);
    }
  }

  /**
   * The next run: the first fire time after the last run; with no run recorded, now (a new index is analysed
   * once when it becomes ready). Empty when the expression never fires again.
   */
  public Optional<Instant> nextRun(Instant lastRun, Instant now) {
    if (lastRun == null) {
      return Optional.of(now);
    }
    Date next = cron.getNextValidTimeAfter(Date.from(lastRun));
    return Optional.ofNullable(next).map(Date::toInstant);
  }

  public boolean isDue(Instant lastRun, Instant now) {
    return nextRun(lastRun, now).map(next -> !next.isAfter(now)).orElse(false);
  }

  /** How long until the next run is due (zero when due); empty when it never fires again. */
  public Optional<Duration> untilNextRun(Instant lastRun, Instant now) {
    return nextRun(lastRun, now).map(next -> next.isAfter(now) ? Duration.between(now, next) : Duration.ZERO);
  }
}
