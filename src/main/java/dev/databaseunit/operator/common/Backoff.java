package dev.databaseunit.operator.common;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one retry policy of the operator: try number {@code n} (1-based) that failed waits {@code initial × factor^(n-1)},
 * capped at {@code max}, and after {@code attempts} failed tries the caller gives up ({@link #UNLIMITED}: never). A value:
 * where the count of attempts lives is the caller's choice — a local loop for a retry within one call, {@link PerKey}
 * for retries across reconciles, status for what must survive a restart.
 */
public record Backoff(Duration initial, double factor, Duration max, int attempts) {
  public static final int UNLIMITED = 0;

  public Backoff {
    if (initial.isNegative() || max.compareTo(initial) < 0 || factor < 1 || attempts < 0) {
      throw new IllegalArgumentException("backoff needs 0 <= initial <= max, factor >= 1, attempts >= 0: " + initial + ", "
          + factor + ", " + max + ", " + attempts);
    }
  }

  /** initial, 2×initial, 4×initial, ... capped at max, without end. */
  public static Backoff exponential(Duration initial, Duration max) {
    return new Backoff(initial, 2, max, UNLIMITED);
  }

  /** The same wait after every failure, at most {@code attempts} tries. */
  public static Backoff fixed(Duration every, int attempts) {
    return new Backoff(every, 1, every, attempts);
  }

  /** The wait after failed try number {@code attempt} (1-based). */
  public Duration delay(int attempt) {
    if (attempt < 1) {
      throw new IllegalArgumentException("attempts count from 1: " + attempt);
    }
    double nanos = initial.toNanos() * Math.pow(factor, attempt - 1);
    return nanos >= max.toNanos() ? max : Duration.ofNanos((long) nanos);
  }

  /** Whether another try may follow failed try number {@code attempt}. */
  public boolean mayRetry(int attempt) {
    return attempts == UNLIMITED || attempt < attempts;
  }

  /** A counter of consecutive failures per key (in memory: a restarted operator starts again at {@link #initial}). */
  public PerKey perKey() {
    return new PerKey(this);
  }

  public static final class PerKey {
    private final Backoff policy;
    private final Map<String, Integer> failures = new ConcurrentHashMap<>();

    private PerKey(Backoff policy) {
      this.policy = policy;
    }

    /** Counts one more failure of {@code key} and returns how long to wait before its next try. */
    public Duration next(String key) {
      return policy.delay(failures.merge(key, 1, Integer::sum));
    }

    /** Forgets the failures of {@code key}: it succeeded, or is gone. */
    public void reset(String key) {
      failures.remove(key);
    }
  }
}
