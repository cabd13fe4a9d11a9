package dev.databaseunit.cache.client;

/** L2 did not answer in time (Redis down, disconnected or slow); callers fall through to the database. */
final class RedisUnavailableException extends RuntimeException {
  RedisUnavailableException(String operation, Throwable cause) {
    super("Redis " + operation + " failed: " + cause.getMessage(), cause);
  }
}
