package dev.databaseunit.cache.client;

/** A miss could not be loaded from the database. */
public final class CacheLoadException extends RuntimeException {
  public CacheLoadException(String message, Throwable cause) {
    super(message, cause);
  }
}
