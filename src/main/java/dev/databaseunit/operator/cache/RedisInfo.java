package dev.databaseunit.operator.cache;

import java.util.HashMap;
import java.util.Map;

/**
 * The fields of Redis INFO the operator uses.
 *
 * @param runId changes whenever the server restarts, which resets CONFIG SET values
 * @param maxMemoryBytes 0 when Redis has no limit
 */
public record RedisInfo(String runId, long hits, long misses, long evictedKeys, long usedMemoryBytes, long maxMemoryBytes,
    long opsPerSecond) {

  /** Parses the text of INFO (all sections or server, stats and memory); absent numbers are 0. */
  public static RedisInfo parse(String info) {
    Map<String, String> fields = new HashMap<>();
    for (String line : info.split("\r?\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && !line.startsWith("#")) {
        fields.put(line.substring(0, colon), line.substring(colon + 1).trim());
      }
    }
    return new RedisInfo(fields.get("run_id"), number(fields, "keyspace_hits"), number(fields, "keyspace_misses"),
        number(fields, "evicted_keys"), number(fields, "used_memory"), number(fields, "maxmemory"),
        number(fields, "instantaneous_ops_per_sec"));
  }

  /** Hits over lookups since the server started (or since CONFIG RESETSTAT); null before the first lookup. */
  public Double hitRatio() {
    long lookups = hits + misses;
    return lookups == 0 ? null : (double) hits / lookups;
  }

  /**
   * Hit ratio of the lookups since an earlier sample of the same server, so the figure follows the current
   * traffic; the lifetime ratio when there is no usable earlier sample (none, another run_id, no lookups since).
   */
  public Double hitRatioSince(RedisInfo earlier) {
    if (earlier == null || !java.util.Objects.equals(earlier.runId(), runId) || earlier.hits() > hits || earlier.misses() > misses) {
      return hitRatio();
    }
    long deltaHits = hits - earlier.hits();
    long lookups = deltaHits + misses - earlier.misses();
    if (lookups == 0) {
      return hitRatio(); // not in a ternary: its double arm would unbox a null lifetime ratio
    }
    return (double) deltaHits / lookups;
  }

  private static long number(Map<String, String> fields, String name) {
    String value = fields.get(name);
    return value == null || value.isEmpty() ? 0 : Long.parseLong(value);
  }
}
