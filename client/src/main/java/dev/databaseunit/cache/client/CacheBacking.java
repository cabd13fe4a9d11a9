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
}
