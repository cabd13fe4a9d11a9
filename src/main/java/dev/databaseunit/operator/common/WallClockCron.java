package dev.databaseunit.operator.common;

import java.text.ParseException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.TimeZone;
import java.util.concurrent.ConcurrentHashMap;
import org.quartz.CronExpression;

/**
 * A cron, in CronJob or Quartz syntax ({@link CronSyntax}), matched against local wall-clock time in a zone, with DST applied afterwards the way cron daemons do:
 * a time in the hour skipped in spring fires right after the jump (02:30 becomes 03:30), and a time in the hour that
 * repeats in autumn fires once, at its first occurrence. Quartz alone drops the spring fire and, evaluated in the zone
 * itself, can return a start in the repeated hour that its own window search does not find again. Every schedule of
 * the operator (backup tiers, restore tests, maintenance windows, ANALYZE of vector tables) goes through here.
 */
public final class WallClockCron {
  private static final int CACHE_LIMIT = 4096;
  private static final Map<List<String>, WallClockCron> CACHE = new ConcurrentHashMap<>();

  private final CronExpression cron;
  private final ZoneId zone;

  private WallClockCron(CronExpression cron, ZoneId zone) {
    this.cron = cron;
    this.zone = zone;
  }

  /**
   * Parses once per (cron, zone): parsing costs more than evaluating, and reconciles ask about the same few schedules.
   * Sharing is safe: after construction a Quartz CronExpression is only read (each evaluation works on a Calendar of its
   * own), and the map publishes it safely.
   *
   * @throws ParseException when the expression is in neither syntax, or Quartz cannot parse it
   * @throws java.time.DateTimeException when the zone is unknown
   */
  public static WallClockCron parse(String cronText, ZoneId zone) throws ParseException {
    var key = List.of(cronText, zone.getId());
    WallClockCron cached = CACHE.get(key);
    if (cached != null) {
      return cached;
    }
    var expression = new CronExpression(CronSyntax.toQuartz(cronText));
    // Quartz sees local wall-clock time written as UTC; next() maps it back through the real zone.
    expression.setTimeZone(TimeZone.getTimeZone(ZoneOffset.UTC));
    var parsed = new WallClockCron(expression, zone);
    if (CACHE.size() >= CACHE_LIMIT) {
      CACHE.clear();
    }
    CACHE.put(key, parsed);
    return parsed;
  }

  public ZoneId zone() {
    return zone;
  }

  /** The first fire strictly after the given instant, or null when the cron has no more. */
  public Instant next(Instant after) {
    LocalDateTime local = LocalDateTime.ofInstant(after, zone);
    while (true) {
      Date next = cron.getNextValidTimeAfter(Date.from(local.toInstant(ZoneOffset.UTC)));
      if (next == null) {
        return null;
      }
      local = LocalDateTime.ofInstant(next.toInstant(), ZoneOffset.UTC);
      // ofLocal moves a time in the spring gap forward by the gap and takes the earlier offset in an overlap.
      ZonedDateTime fire = ZonedDateTime.ofLocal(local, zone, null);
      if (fire.toInstant().isAfter(after)) {
        return fire.toInstant();
      }
      // Inside the repeated autumn hour, past its first occurrence: that wall-clock time has already fired.
    }
  }
}
