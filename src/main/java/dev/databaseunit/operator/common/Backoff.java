package dev.databaseunit.operator.common;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Per-key exponential backoff for retrying a unit that has a problem: first, 2×first, ... capped at max. */
public final class Backoff {
  private final Duration first;
  private final Duration max;
  private final Map<String, Integer> attempts = new ConcurrentHashMap<>();

  public Backoff(Duration first, Duration max) {
    this.first = first;
    this.max = max;
  }

  public Duration next(String key) {
    int attempt = attempts.merge(key, 1, Integer::sum);
    return delay(attempt);
  }

  /** The delay before retry number {@code attempt} (1-based). */
  Duration delay(int attempt) {
    int doublings = Math.min(attempt - 1, 30);
    Duration delay = first.multipliedBy(1L << doublings);
    return delay.compareTo(max) > 0 ? max : delay;
  }

  public void reset(String key) {
    attempts.remove(key);
  }
}
