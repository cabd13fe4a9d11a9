package dev.databaseunit.cache.client;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * How one data type is cached: the key's time to live (both levels), how writes reach the database, and what
 * removes stale keys. Mirrors one entry of the DatabaseUnit's {@code spec.cache.policies}.
 */
public record CachePolicy(String dataType, Duration ttl, WriteStrategy writeStrategy, InvalidationMode invalidation) {

  public CachePolicy {
    Objects.requireNonNull(dataType, "dataType");
    Objects.requireNonNull(writeStrategy, "writeStrategy");
    Objects.requireNonNull(invalidation, "invalidation");
    if (dataType.isEmpty() || dataType.contains(":")) {
      throw new IllegalArgumentException("data type must be non-empty and without ':': " + dataType);
    }
    if (ttl == null || ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("ttl of " + dataType + " must be > 0, was " + ttl);
    }
  }

  public enum WriteStrategy {
    /** Database first, then the cache; the caller sees the database's outcome. */
    WRITE_THROUGH,
    /** Cache first, then an asynchronous, batched, retried database write. */
    WRITE_BEHIND,
    /** The cache is only filled by reads; a write goes to the database and removes the key. */
    CACHE_ASIDE;

    /** Parses the CRD spelling ({@code write-through}); the enum name is accepted too. */
    public static WriteStrategy parse(String text) {
      return valueOf(text.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
    }
  }

  public enum InvalidationMode {
    /** The operator removes keys when their source rows change (triggers + LISTEN/NOTIFY). */
    EVENT_DRIVEN,
    /** Only the TTL removes keys. */
    TIME_BASED,
    /** Keys are flushed on request. */
    MANUAL;

    public static InvalidationMode parse(String text) {
      return valueOf(text.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
    }
  }
}
