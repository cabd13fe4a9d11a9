package dev.databaseunit.cache.client;

import java.time.Duration;

/**
 * Tuning of the write-behind queue of each write-behind type.
 *
 * @param capacity       most accepted writes not yet in the database; also the most a crash can lose
 * @param batchSize      most writes per database transaction
 * @param offerTimeout   how long a put waits for room before {@link WriteBehindFullException}
 * @param maxAttempts    database attempts per batch before it is given up (and its keys removed from the cache)
 * @param retryBackoff   pause before the second attempt; doubled per attempt, at most 5 s
 * @param closeTimeout   how long close() waits for the queue to drain
 */
public record WriteBehindSettings(
    int capacity, int batchSize, Duration offerTimeout, int maxAttempts, Duration retryBackoff, Duration closeTimeout) {

  public WriteBehindSettings {
    if (capacity < 1 || batchSize < 1 || maxAttempts < 1) {
      throw new IllegalArgumentException("capacity, batchSize and maxAttempts must be >= 1");
    }
  }

  public static WriteBehindSettings defaults() {
    return new WriteBehindSettings(10_000, 200, Duration.ofSeconds(1), 5, Duration.ofMillis(100), Duration.ofSeconds(30));
  }
}
