package dev.databaseunit.operator.backup;

import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.TimeZone;
import org.quartz.CronExpression;

/**
 * When a scheduled job (a backup tier, the restore test) is due: a pure function of the cron, its time zone and
 * window, the last fire already handled (persisted in the CR status) and now. Because the handled fire is
 * persisted and the decision recomputed from it, a restarted or failed-over operator neither skips nor doubles a
 * fire: a fire not handled yet runs late while inside its window, and is reported missed after it.
 *
 * <p>The cron is matched against local wall-clock time, and DST is applied afterwards the way cron daemons do:
 * a fire in the hour that is skipped in spring runs right after the jump (02:30 becomes 03:30), and a fire in the
 * hour that repeats in autumn runs once, at its first occurrence. (Quartz alone drops the spring fire: a daily
 * backup at 02:30 Europe/Berlin would silently not happen on that day.)
 */
public final class FireSchedule {
  /** Enough for a minutely cron over a week of downtime; beyond that the oldest fires are just missed. */
  static final int MAX_FIRES_SCANNED = 20_000;

  private final CronExpression cron;
  private final ZoneId zone;
  private final Duration window;

  /**
   * @param due the fire to run now, or null
   * @param missed fires that passed without running, oldest first (never including {@code due})
   * @param nextFire the first fire after now, to wake up for
   */
  public record Decision(Instant due, List<Instant> missed, Instant nextFire) {
    /** The newest fire this decision settles: once recorded as handled, the same fires are never decided again. */
    public Instant lastMissed() {
      return missed.isEmpty() ? null : missed.getLast();
    }
  }

  public FireSchedule(String cronText, String timeZone, Duration window) {
    try {
      this.cron = new CronExpression(cronText);
    } catch (ParseException e) {
      throw new IllegalArgumentException("invalid Quartz cron '" + cronText + "': " + e.getMessage());
    }
    // Quartz sees local wall-clock time written as UTC; next() maps it back through the real zone.
    this.cron.setTimeZone(TimeZone.getTimeZone(ZoneOffset.UTC));
    this.zone = ZoneId.of(timeZone);
    this.window = window;
  }

  /** @param lastHandled the newest fire already run or recorded as missed (or the object's creation time) */
  public Decision decide(Instant lastHandled, Instant now) {
    List<Instant> passed = new ArrayList<>();
    Instant fire = next(lastHandled);
    while (fire != null && !fire.isAfter(now)) {
      passed.add(fire);
      if (passed.size() > MAX_FIRES_SCANNED) {
        passed.removeFirst();
      }
      fire = next(fire);
    }
    Instant nextFire = fire;
    if (passed.isEmpty()) {
      return new Decision(null, List.of(), nextFire);
    }
    Instant latest = passed.getLast();
    if (now.isBefore(latest.plus(window))) {
      return new Decision(latest, List.copyOf(passed.subList(0, passed.size() - 1)), nextFire);
    }
    return new Decision(null, List.copyOf(passed), nextFire);
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
