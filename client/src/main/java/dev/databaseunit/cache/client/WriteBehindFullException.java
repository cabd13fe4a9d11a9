package dev.databaseunit.cache.client;

/**
 * The write-behind queue stayed full for the whole offer timeout: the database is slower than the writers. The
 * value was NOT accepted (neither cached nor queued), so nothing is lost silently; the caller decides.
 */
public final class WriteBehindFullException extends RuntimeException {
  public WriteBehindFullException(String message) {
    super(message);
  }
}
