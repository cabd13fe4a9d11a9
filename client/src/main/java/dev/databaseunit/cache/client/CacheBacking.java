package dev.databaseunit.cache.client;

import java.util.Map;
import java.util.Optional;

/** The database behind one cached data type: where misses are loaded from and writes go to. */
public interface CacheBacking<V> {

  /** The current value of {@code id} in the database, empty if there is none (absence is not cached). */
  Optional<V> load(String id) throws Exception;

  /**
   * Writes the values in one transaction: all or none. Write-through and cache-aside pass one entry; write-behind
   * passes a batch (the newest value per id, in first-write order). A read-only type leaves this unimplemented.
   */
  default void write(Map<String, V> values) throws Exception {
    throw new UnsupportedOperationException("this data type is read-only");
  }

  /**
   * Write-through's write: runs {@code beforeCommit} (which sets the cache and never throws) after the rows are
   * written, and so locked, but before COMMIT. Concurrent writers of one row (other threads, other instances) then
   * set the cache in the order their transactions commit, so the last committed value is the cached one.
   *
   * <p>The default writes, then runs it after the commit: right for one writer per key, but two writers of one key
   * at once may then leave the older value cached until the TTL or an invalidation. A backing that owns its
   * transaction should override this. Trade-off: readers may see the value a moment (one Redis round trip) before
   * it commits; if the commit fails the key is removed again.
   */
  default void write(Map<String, V> values, Runnable beforeCommit) throws Exception {
    write(values);
    beforeCommit.run();
  }
}
