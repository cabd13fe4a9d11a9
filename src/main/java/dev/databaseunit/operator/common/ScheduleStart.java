package dev.databaseunit.operator.common;

import java.time.Instant;

/**
 * Where a resource's schedule starts counting fires (backup tiers, restore tests, maintenance windows): the
 * resource's creation. A fire or window from before the resource existed never runs, however long its window or
 * catch-up rule. Recorded once in the resource's status, so later decisions do not move with the clock.
 */
public final class ScheduleStart {
  private ScheduleStart() {}

  /**
   * @param creationTimestamp metadata.creationTimestamp (RFC 3339), or null
   * @return the creation, or now when that lies ahead (an operator clock behind the API server's)
   */
  public static Instant of(String creationTimestamp, Instant now) {
    Instant created = creationTimestamp != null ? Instant.parse(creationTimestamp) : now;
    return created.isAfter(now) ? now : created;
  }

  /** The recorded start, or a new one when none is recorded yet. */
  public static Instant recordedOr(String recorded, String creationTimestamp, Instant now) {
    return recorded != null ? Instant.parse(recorded) : of(creationTimestamp, now);
  }

  /** Fires count strictly after the later of the schedule's start and the last fire handled (RFC 3339, or null). */
  public static Instant countFrom(Instant since, String lastHandled) {
    if (lastHandled == null) {
      return since;
    }
    Instant handled = Instant.parse(lastHandled);
    return handled.isAfter(since) ? handled : since;
  }
}
