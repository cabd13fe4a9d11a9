package dev.databaseunit.operator.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * The clock every operator in a test runs on: it starts at a fixed instant and then advances with real time, so
 * timeouts, polling and leases behave as in production while the calendar a test sees never depends on the day it
 * runs. The default start is the moment that once broke the suite on the 1st of each month: 06:00 UTC on a 1st,
 * an hour after the default monthly restore-test fire.
 *
 * <p>Operators in other JVMs of the same test share a clock by its {@link #offset()}. Certificates the operator
 * issues are valid for ten years from the start, so the default start must move before 2036.
 */
public final class TestClock extends Clock {
  public static final Instant FIRST_OF_MONTH_MORNING = Instant.parse("2026-12-01T06:00:00Z");

  private final Duration offset;

  private TestClock(Duration offset) {
    this.offset = offset;
  }

  /** A clock that reads {@link #FIRST_OF_MONTH_MORNING} now. */
  public static TestClock startingNow() {
    return startingAt(FIRST_OF_MONTH_MORNING);
  }

  /** A clock that reads {@code start} now. */
  public static TestClock startingAt(Instant start) {
    return new TestClock(Duration.between(Instant.now(), start));
  }

  /** The clock of another JVM of the same test, given this one's {@link #offset()}. */
  public static TestClock withOffset(Duration offset) {
    return new TestClock(offset);
  }

  /** How far this clock is from the system clock. */
  public Duration offset() {
    return offset;
  }

  @Override
  public Instant instant() {
    return Instant.now().plus(offset);
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException("TestClock is UTC only");
  }
}
