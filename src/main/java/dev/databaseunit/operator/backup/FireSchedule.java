package dev.databaseunit.operator.backup;

import dev.databaseunit.operator.common.WallClockCron;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;

/**
 * When a scheduled job (a backup tier, the restore test) is due: a pure function of the cron, its time zone and
 * window, the last fire already handled (persisted in the CR status) and now. Because the handled fire is
 * persisted and the decision recomputed from it, a restarted or failed-over operator neither skips nor doubles a
 * fire: a fire not handled yet runs late while inside its window, and is reported missed after it.
 *
 * <p>The cron is matched against local wall-clock time with cron-daemon DST rules ({@link WallClockCron}).
 */
public final class FireSchedule {
  /** Enough for a minutely cron over a week of downtime; beyond that the oldest fires are just missed. */
  static final int MAX_FIRES_SCANNED = 20_000;

  private final WallClockCron cron;
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

  /** The schedule of a cron, zone and window (the cron is parsed once, see {@link WallClockCron#parse}). */
  public static FireSchedule of(String cronText, String timeZone, Duration window) {
    return new FireSchedule(cronText, timeZone, window);
  }

  public FireSchedule(String cronText, String timeZone, Duration window) {
    try {
      this.cron = WallClockCron.parse(cronText, ZoneId.of(timeZone));
    } catch (ParseException e) {
      throw new IllegalArgumentException("'" + cronText + "' is not a valid cron: " + e.getMessage());
    }
    this.window = window;
  }

  /** @param lastHandled fires strictly after this instant count (see {@link dev.databaseunit.operator.common.ScheduleStart#countFrom}) */
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
    return cron.next(after);
  }
}
