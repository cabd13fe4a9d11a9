package dev.databaseunit.operator.maintenance;

import dev.databaseunit.operator.common.WallClockCron;
import java.text.ParseException;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Optional;

/**
 * When maintenance may run: a cron (CronJob or Quartz syntax) of window starts, evaluated on the zone's wall clock with cron-daemon DST rules
 * ({@link WallClockCron}), and the window's length.
 * Pure: every question takes the instant to answer for, so callers pass their injected clock's time.
 */
public final class WindowSchedule {
  /** Bounds the walk over overlapping windows (a per-second cron with a day-long window). */
  private static final int MAX_OVERLAP_STEPS = 100_000;

  private final WallClockCron starts;
  private final Duration length;

  private WindowSchedule(WallClockCron starts, Duration length) {
    this.starts = starts;
    this.length = length;
  }

  /** A window is [start, end): a run may start at start and must be done by end. */
  public record Window(Instant start, Instant end) {
    public boolean contains(Instant t) {
      return !t.isBefore(start) && t.isBefore(end);
    }
  }

  /** A schedule that cannot be used, with a message fit for a Degraded condition. */
  public static final class InvalidSchedule extends Exception {
    public InvalidSchedule(String message) {
      super(message);
    }
  }

  /**
   * Parses and checks a schedule: the cron must parse, the zone must exist, and the cron must fire at least once
   * after {@code now} (Quartz accepts e.g. "0 0 0 30 2 ?" — 30 February — or a past year, which never fire).
   */
  public static WindowSchedule parse(String cron, String timeZone, Duration length, Instant now) throws InvalidSchedule {
    ZoneId zone;
    try {
      zone = ZoneId.of(timeZone == null ? "UTC" : timeZone);
    } catch (DateTimeException e) {
      throw new InvalidSchedule("time zone '" + timeZone + "' is unknown");
    }
    if (length.isZero() || length.isNegative()) {
      throw new InvalidSchedule("window duration must be positive");
    }
    WindowSchedule schedule;
    try {
      schedule = new WindowSchedule(WallClockCron.parse(cron, zone), length);
    } catch (ParseException e) {
      throw new InvalidSchedule("schedule '" + cron + "' is not a valid cron: " + e.getMessage());
    }
    if (schedule.nextStartAfter(now).isEmpty()) {
      throw new InvalidSchedule("schedule '" + cron + "' never fires after " + now);
    }
    return schedule;
  }

  /**
   * The window that contains {@code now}, if any. When windows overlap (a window longer than the cron's period), the
   * newest start counts: it leaves the most time.
   */
  public Optional<Window> windowAt(Instant now) {
    // A start can cover now only if it is after (now - length); Quartz has no "previous fire", so walk forward.
    Optional<Instant> start = nextStartAfter(now.minus(length)).filter(s -> !s.isAfter(now));
    for (int steps = 0; start.isPresent() && steps < MAX_OVERLAP_STEPS; steps++) {
      Optional<Instant> later = nextStartAfter(start.get()).filter(s -> !s.isAfter(now));
      if (later.isEmpty()) {
        break;
      }
      start = later;
    }
    return start.map(s -> new Window(s, s.plus(length)));
  }

  /** The first window start strictly after {@code t}, or empty if the cron never fires again. */
  public Optional<Instant> nextStartAfter(Instant t) {
    return Optional.ofNullable(starts.next(t));
  }
}
