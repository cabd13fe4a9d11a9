package dev.databaseunit.operator.vector;

import dev.databaseunit.operator.common.WallClockCron;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;

/**
 * When to ANALYZE a table, from a cron in UTC (CronJob or Quartz syntax, see {@link WallClockCron}) and the last run
 * recorded in status. The last run lives in the status, not in memory, so an operator restart neither skips a due run
 * nor repeats one.
 */
public record AnalyzeSchedule(WallClockCron cron) {

  /** @throws IllegalArgumentException for an expression in neither syntax, with the reason */
  public static AnalyzeSchedule parse(String expression) {
    try {
      return new AnalyzeSchedule(WallClockCron.parse(expression, ZoneOffset.UTC));
    } catch (ParseException e) {
      throw new IllegalArgumentException("analyzeSchedule '" + expression + "' is not a valid cron: " + e.getMessage(), e);
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
    return Optional.ofNullable(cron.next(lastRun));
  }

  public boolean isDue(Instant lastRun, Instant now) {
    return nextRun(lastRun, now).map(next -> !next.isAfter(now)).orElse(false);
  }

  /** How long until the next run is due (zero when due); empty when it never fires again. */
  public Optional<Duration> untilNextRun(Instant lastRun, Instant now) {
    return nextRun(lastRun, now).map(next -> next.isAfter(now) ? Duration.between(now, next) : Duration.ZERO);
  }
}
