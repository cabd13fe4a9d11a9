package dev.databaseunit.cache.client;

/** The database write of a write-through or cache-aside put failed; the key was removed from the cache. */
public final class CacheWriteException extends RuntimeException {
  public CacheWriteException(String message, Throwable cause) {
    super(message, cause);
  }
}
